import type { APIGatewayProxyEvent, Context } from 'aws-lambda';

/** The partner direct handler calls act as, as if the authorizer had named it. */
export const TEST_PARTNER = 'test-partner';

/** Minimal Lambda context and API Gateway REST proxy events for calling handlers directly. */
export function lambdaContext(functionName = 'WorkWell-test'): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:eu-west-2:000000000000:function:${functionName}`,
    memoryLimitInMB: '512',
    awsRequestId: crypto.randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'test',
    getRemainingTimeInMillis: () => 10_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

export function apiEvent(opts: {
  method: 'GET' | 'POST';
  path: string;
  resource?: string;
  body?: string | null;
  headers?: Record<string, string>;
  pathParameters?: Record<string, string> | null;
  /** The partner the authorizer named; `null` for a request that never passed it. */
  partnerId?: string | null;
}): APIGatewayProxyEvent {
  const headers = opts.headers ?? {};
  return {
    httpMethod: opts.method,
    path: opts.path,
    resource: opts.resource ?? opts.path,
    body: opts.body ?? null,
    headers,
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
    isBase64Encoded: false,
    pathParameters: opts.pathParameters ?? null,
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    stageVariables: null,
    requestContext: (opts.partnerId === null
      ? {}
      : { authorizer: { principalId: opts.partnerId ?? TEST_PARTNER, partnerId: opts.partnerId ?? TEST_PARTNER, partnerName: 'Test partner', organisationType: 'gp' } }) as APIGatewayProxyEvent['requestContext'],
  };
}
