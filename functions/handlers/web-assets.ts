import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { assets } from '../web/assets.ts';
import { basePath } from '../web/http.ts';

/**
 * GET /assets/{proxy+}: GOV.UK Frontend's stylesheet, script, fonts and images and the
 * service's own, from a fixed list (functions/web/assets.ts); anything else is 404.
 */
export async function handler(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  const path = event.pathParameters?.proxy ?? '';
  const found = assets(basePath()).get(path);
  const common = { 'X-Content-Type-Options': 'nosniff', 'Cross-Origin-Resource-Policy': 'same-origin' };
  if (!found) return { statusCode: 404, headers: { 'Content-Type': 'text/plain; charset=utf-8', ...common }, body: 'Not found' };
  return {
    statusCode: 200,
    headers: { 'Content-Type': found.contentType, 'Cache-Control': `public, max-age=${found.cacheSeconds}`, ...common },
    body: found.body.toString(found.binary ? 'base64' : 'utf8'),
    isBase64Encoded: found.binary,
  };
}
