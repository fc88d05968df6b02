import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type {
  APIGatewayAuthorizerResult,
  APIGatewayProxyEvent,
  APIGatewayProxyResult,
  APIGatewayRequestAuthorizerEvent,
} from 'aws-lambda';
import { loadArea } from '../areas/index.ts';
import { type ApiRoute, apiRoutes, coachAuthorizer, partnerAuthorizer } from '../functions/api-routes.ts';
import { type FunctionName, lambdaName } from '../functions/catalogue.ts';
import type { LocalFunctions } from './functions.ts';

/**
 * The local stand-in for API Gateway (REST API, Lambda proxy integration): it turns each
 * request into the same proxy event API Gateway sends and maps the handler's answer back.
 */
const MAX_BODY_BYTES = 1024 * 1024;
const STAGE = 'live';
const ACCOUNT = '000000000000';

/** A path parameter as API Gateway passes it: percent-decoded; undefined when the escape is malformed. */
function decodeParam(raw: string): string | undefined {
  try {
    return decodeURIComponent(raw);
  } catch {
    return undefined;
  }
}

function matchRoute(
  method: string,
  path: string,
): { route?: ApiRoute; params?: Record<string, string>; allowed: string[]; malformed?: boolean } {
  const allowed: string[] = [];
  for (const route of apiRoutes as readonly ApiRoute[]) {
    const names: string[] = [];
    // {name} is one path segment; {name+} (API Gateway's greedy parameter) the rest of the path.
    const literal = route.path.replace(/[$.]/g, (c) => `\\${c}`);
    const pattern = literal.replace(/\{(\w+)(\+?)\}/g, (_, name: string, greedy: string) => {
      names.push(name);
      return greedy ? '(.+)' : '([^/]+)';
    });
    const match = new RegExp(`^${pattern}$`).exec(path);
    if (!match) continue;
    allowed.push(route.method);
    if (route.method !== method) continue;
    const values = names.map((_, i) => decodeParam(match[i + 1]!));
    if (values.some((v) => v === undefined)) return { allowed, malformed: true };
    const params = Object.fromEntries(names.map((n, i) => [n, values[i]!]));
    return { route, params, allowed };
  }
  return { allowed };
}

function problem(res: ServerResponse, status: number, title: string, extra: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/problem+json', ...extra });
  res.end(JSON.stringify({ type: 'about:blank', title, status }));
}

function readBody(req: IncomingMessage): Promise<Buffer | 'too-large'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', () => resolve(size > MAX_BODY_BYTES ? 'too-large' : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export function toProxyEvent(
  req: IncomingMessage,
  url: URL,
  route: ApiRoute,
  pathParameters: Record<string, string>,
  body: Buffer,
): APIGatewayProxyEvent {
  const headers: Record<string, string> = Object.create(null);
  const multiValueHeaders: Record<string, string[]> = Object.create(null);
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i]!;
    const value = req.rawHeaders[i + 1]!;
    headers[name] = value;
    (multiValueHeaders[name] ??= []).push(value);
  }
  const query: Record<string, string> = Object.create(null);
  const multiQuery: Record<string, string[]> = Object.create(null);
  for (const [k, v] of url.searchParams) {
    query[k] = v;
    (multiQuery[k] ??= []).push(v);
  }
  const hasQuery = Object.keys(query).length > 0;
  const now = Date.now();
  return {
    resource: route.path,
    path: url.pathname,
    httpMethod: route.method,
    headers,
    multiValueHeaders,
    queryStringParameters: hasQuery ? query : null,
    multiValueQueryStringParameters: hasQuery ? multiQuery : null,
    pathParameters: Object.keys(pathParameters).length ? pathParameters : null,
    stageVariables: null,
    body: body.length ? body.toString('utf8') : null,
    isBase64Encoded: false,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      authorizer: undefined,
      protocol: `HTTP/${req.httpVersion}`,
      httpMethod: route.method,
      path: `/${STAGE}${url.pathname}`,
      stage: STAGE,
      requestId: randomUUID(),
      requestTimeEpoch: now,
      resourceId: 'local',
      resourcePath: route.path,
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: null,
        apiKeyId: null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        user: null,
        userAgent: req.headers['user-agent'] ?? null,
        userArn: null,
      },
    },
  };
}

/** The REQUEST authorizer event API Gateway sends for a proxy request (no body). */
export function toAuthorizerEvent(event: APIGatewayProxyEvent, region: string): APIGatewayRequestAuthorizerEvent {
  return {
    type: 'REQUEST',
    methodArn: `arn:aws:execute-api:${region}:${ACCOUNT}:${event.requestContext.apiId}/${STAGE}/${event.httpMethod}${event.path}`,
    resource: event.resource,
    path: event.path,
    httpMethod: event.httpMethod,
    headers: event.headers,
    multiValueHeaders: event.multiValueHeaders,
    pathParameters: event.pathParameters,
    queryStringParameters: event.queryStringParameters,
    multiValueQueryStringParameters: event.multiValueQueryStringParameters,
    stageVariables: event.stageVariables,
    requestContext: { ...event.requestContext, authorizer: undefined },
  };
}

/** IAM-style wildcard match (`*` any run of characters, `?` one character). */
function arnMatches(pattern: string, arn: string): boolean {
  const regex = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${regex}$`).test(arn);
}

function asList(value: unknown): string[] {
  return Array.isArray(value) ? value.map(String) : typeof value === 'string' ? [value] : [];
}

/** Does the policy let the caller invoke `methodArn`? An explicit Deny wins; no Allow denies. */
export function policyAllows(policy: APIGatewayAuthorizerResult['policyDocument'] | undefined, methodArn: string): boolean {
  let allowed = false;
  for (const statement of policy?.Statement ?? []) {
    const s = statement as unknown as Record<string, unknown>;
    const actions = asList(s.Action);
    const invokes = actions.some((a) => ['execute-api:Invoke', 'execute-api:*', '*'].includes(a));
    const resources = asList(s.Resource);
    if (!invokes || !resources.some((r) => arnMatches(r, methodArn))) continue;
    if (s.Effect === 'Deny') return false;
    if (s.Effect === 'Allow') allowed = true;
  }
  return allowed;
}

export type AuthorizerOutcome =
  | { readonly kind: 'allow'; readonly authorizer: Record<string, string | number> }
  | { readonly kind: 'unauthorized' }
  | { readonly kind: 'forbidden' }
  | { readonly kind: 'failure' };

/**
 * Runs the route's authorizer (partner by default, coach for `coach` routes) as API Gateway does: 'Unauthorized' thrown means 401, a policy
 * not allowing the method 403, any other failure 500; allowed, the context (values as strings)
 * and the principal become the proxy event's requestContext.authorizer.
 */
export async function authorize(
  functions: LocalFunctions,
  areaSlug: string,
  event: APIGatewayProxyEvent,
  authorizer: FunctionName = partnerAuthorizer,
): Promise<AuthorizerOutcome> {
  const request = toAuthorizerEvent(event, loadArea(areaSlug).aws.region);
  const started = performance.now();
  let result: APIGatewayAuthorizerResult;
  try {
    result = (await functions.invoke(lambdaName(areaSlug, authorizer), request)) as APIGatewayAuthorizerResult;
  } catch (error) {
    return error instanceof Error && error.message === 'Unauthorized' ? { kind: 'unauthorized' } : { kind: 'failure' };
  }
  if (!result || typeof result.principalId !== 'string' || !result.policyDocument) return { kind: 'failure' };
  if (!policyAllows(result.policyDocument, request.methodArn)) return { kind: 'forbidden' };
  const context: Record<string, string> = {};
  for (const [key, value] of Object.entries(result.context ?? {})) {
    if (value !== undefined && value !== null) context[key] = String(value);
  }
  return {
    kind: 'allow',
    authorizer: {
      ...context,
      principalId: result.principalId,
      integrationLatency: Math.round(performance.now() - started),
    },
  };
}

export function createGatewayHandler(opts: {
  areaSlug: string;
  functions: LocalFunctions;
  health: () => Record<string, unknown>;
  /** The local coach token issuer's public keys, served at /.well-known/jwks.json. */
  jwks?: () => unknown;
}) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    try {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const method = req.method ?? 'GET';
      if (url.pathname === '/health' && method === 'GET') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ status: 'ok', ...opts.health() }));
        return;
      }
      if (opts.jwks && url.pathname === '/.well-known/jwks.json' && method === 'GET') {
        res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=300' });
        res.end(JSON.stringify(opts.jwks()));
        return;
      }
      const { route, params, allowed, malformed } = matchRoute(method, url.pathname);
      if (malformed) return problem(res, 400, 'Bad request');
      if (!route) {
        return allowed.length
          ? problem(res, 405, 'Method not allowed', { Allow: allowed.join(', ') })
          : problem(res, 404, 'Not found');
      }
      const body = await readBody(req);
      if (body === 'too-large') return problem(res, 413, 'Request body too large');
      const event = toProxyEvent(req, url, route, params ?? {}, body);
      if (route.auth === 'partner' || route.auth === 'coach') {
        // The same answers API Gateway's gateway responses give: no detail of why.
        const authorizer = route.auth === 'coach' ? coachAuthorizer : partnerAuthorizer;
        const outcome = await authorize(opts.functions, opts.areaSlug, event, authorizer);
        if (outcome.kind === 'unauthorized') return problem(res, 401, 'Unauthorized', { 'www-authenticate': 'Bearer' });
        if (outcome.kind === 'forbidden') return problem(res, 403, 'Forbidden');
        if (outcome.kind === 'failure') return problem(res, 500, 'Internal Server Error');
        event.requestContext.authorizer = outcome.authorizer;
      }
      const result = (await opts.functions.invoke(lambdaName(opts.areaSlug, route.function), event)) as APIGatewayProxyResult;
      const headers: Record<string, string | string[]> = {};
      for (const [k, v] of Object.entries(result.headers ?? {})) headers[k.toLowerCase()] = String(v);
      for (const [k, v] of Object.entries(result.multiValueHeaders ?? {})) headers[k.toLowerCase()] = v.map(String);
      res.writeHead(result.statusCode, headers);
      res.end(result.body ? Buffer.from(result.body, result.isBase64Encoded ? 'base64' : 'utf8') : undefined);
    } catch {
      // API Gateway answers a failed Lambda proxy integration with 502 and no detail.
      if (!res.headersSent) problem(res, 502, 'Bad gateway');
      else res.end();
    }
  };
}
