import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';

/** What both Lambda authorizers (partners, coaches) share: the request's header and the policy. */

/** `arn:...:<apiId>/<stage>/*\/*` from a method ARN `arn:...:<apiId>/<stage>/<METHOD>/<path>`. */
export function wholeApiArn(methodArn: string): string {
  const [apiArn = methodArn, stage = '*'] = methodArn.split('/');
  return `${apiArn}/${stage}/*/*`;
}

export function policy(effect: 'Allow' | 'Deny', resource: string): APIGatewayAuthorizerResult['policyDocument'] {
  return {
    Version: '2012-10-17',
    Statement: [{ Action: 'execute-api:Invoke', Effect: effect, Resource: resource }],
  };
}

/** A header sent once (any case); a header repeated is treated as absent. */
export function headerValue(event: APIGatewayRequestAuthorizerEvent, name: string): string | undefined {
  for (const [key, value] of Object.entries(event.headers ?? {})) {
    if (key.toLowerCase() === name && value !== undefined) return value;
  }
  for (const [key, values] of Object.entries(event.multiValueHeaders ?? {})) {
    if (key.toLowerCase() === name && values?.length === 1) return values[0];
  }
  return undefined;
}
