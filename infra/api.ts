import type * as kms from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { apiRoutes, coachAuthorizer, partnerAuthorizer } from '../functions/api-routes.ts';
import type { FunctionName } from '../functions/catalogue.ts';
import { encryptedLogGroup } from './logs.ts';

export interface AreaApiProps {
  readonly areaSlug: string;
  readonly key: kms.IKey;
  readonly functions: Readonly<Record<FunctionName, IFunction>>;
}

/** Stage name; route paths already carry the version (/v1/...). */
export const apiStageName = 'live';

/** How long API Gateway keeps an authorizer's answer for one Authorization header. */
export const partnerAuthorizerCacheTtl = Duration.minutes(5);

/**
 * API Gateway's own error answers, as RFC 9457 problem+json with no detail (the local gateway
 * answers the same). Mapping templates here are plain text substitution, not VTL.
 */
const gatewayProblems: readonly {
  readonly id: string;
  readonly type: apigw.ResponseType;
  readonly statusCode?: string;
  readonly title: string;
  readonly headers?: Readonly<Record<string, string>>;
}[] = [
  { id: 'Unauthorized', type: apigw.ResponseType.UNAUTHORIZED, statusCode: '401', title: 'Unauthorized', headers: { 'WWW-Authenticate': 'Bearer' } },
  { id: 'AccessDenied', type: apigw.ResponseType.ACCESS_DENIED, statusCode: '403', title: 'Forbidden' },
  { id: 'Throttled', type: apigw.ResponseType.THROTTLED, statusCode: '429', title: 'Too Many Requests', headers: { 'Retry-After': '1' } },
  // The default answers keep API Gateway's status code, so the body does not state one.
  { id: 'Default4xx', type: apigw.ResponseType.DEFAULT_4XX, title: 'Request refused' },
  { id: 'Default5xx', type: apigw.ResponseType.DEFAULT_5XX, title: 'Service error' },
];

export function gatewayProblemBody(title: string, status?: string): string {
  return JSON.stringify({ type: 'about:blank', title, ...(status ? { status: Number(status) } : {}) });
}

/** The area's partner API: a REST API (regional, so a WAF web ACL can be attached). */
export class AreaApi extends Construct {
  readonly api: apigw.RestApi;

  constructor(scope: Construct, id: string, props: AreaApiProps) {
    super(scope, id);
    const name = `WorkWell-${props.areaSlug}-api`;
    const accessLogs = encryptedLogGroup(this, 'AccessLogs', {
      logGroupName: `/aws/apigateway/${name}/access`,
      key: props.key,
    });

    this.api = new apigw.RestApi(this, 'Api', {
      restApiName: name,
      description: `WorkWell partner API for ${props.areaSlug}`,
      endpointConfiguration: { types: [apigw.EndpointType.REGIONAL] },
      // Browsers ask for fonts and images with Accept: */*, and API Gateway decides from the
      // first Accept type whether to turn a base64 answer back into bytes, so every type is
      // binary-capable. Text answers are not base64 and pass unchanged; request bodies then
      // arrive base64-encoded, which every handler decodes (functions/shared/http.ts).
      binaryMediaTypes: ['*/*'],
      // Access logging needs the account-level CloudWatch role. It is one per account and
      // region, so it is retained: deleting one area's stack must not break the others' logs.
      cloudWatchRole: true,
      cloudWatchRoleRemovalPolicy: RemovalPolicy.RETAIN,
      deployOptions: {
        stageName: apiStageName,
        tracingEnabled: true,
        metricsEnabled: true,
        // Execution logs of errors only, never request or response bodies (data trace off), in
        // a log group made below under the area key before API Gateway would make its own.
        loggingLevel: apigw.MethodLoggingLevel.ERROR,
        dataTraceEnabled: false,
        accessLogDestination: new apigw.LogGroupLogDestination(accessLogs),
        accessLogFormat: apigw.AccessLogFormat.jsonWithStandardFields({
          caller: false,
          user: false,
          httpMethod: true,
          // A member of the public's address is personal data: the WAF logs keep it, for security.
          ip: false,
          protocol: true,
          requestTime: true,
          resourcePath: true,
          responseLength: true,
          status: true,
        }),
      },
    });

    const executionLogs = encryptedLogGroup(this, 'ExecutionLogs', {
      logGroupName: `API-Gateway-Execution-Logs_${this.api.restApiId}/${apiStageName}`,
      key: props.key,
    });
    this.api.deploymentStage.node.addDependency(executionLogs);

    // Partner routes pass the partner authorizer first; its answer (Allow for the whole API, or
    // Deny) is cached per Authorization header. A request without the header gets 401 without
    // invoking it.
    const authorizer = new apigw.RequestAuthorizer(this, 'PartnerAuthorizer', {
      authorizerName: `WorkWell-${props.areaSlug}-partners`,
      handler: props.functions[partnerAuthorizer],
      identitySources: [apigw.IdentitySource.header('Authorization')],
      resultsCacheTtl: partnerAuthorizerCacheTtl,
    });

    // Coach routes pass the coach authorizer (a JWT of the area's staff user pool), cached the same way.
    const coachAuthorizerConstruct = new apigw.RequestAuthorizer(this, 'CoachAuthorizer', {
      authorizerName: `WorkWell-${props.areaSlug}-coaches`,
      handler: props.functions[coachAuthorizer],
      identitySources: [apigw.IdentitySource.header('Authorization')],
      resultsCacheTtl: partnerAuthorizerCacheTtl,
    });

    for (const route of apiRoutes) {
      const auth =
        route.auth === 'partner'
          ? { authorizer, authorizationType: apigw.AuthorizationType.CUSTOM }
          : route.auth === 'coach'
            ? { authorizer: coachAuthorizerConstruct, authorizationType: apigw.AuthorizationType.CUSTOM }
            : {};
      this.api.root
        .resourceForPath(route.path)
        .addMethod(route.method, new apigw.LambdaIntegration(props.functions[route.function], { proxy: true }), auth);
    }

    for (const response of gatewayProblems) {
      this.api.addGatewayResponse(response.id, {
        type: response.type,
        ...(response.statusCode ? { statusCode: response.statusCode } : {}),
        // Header values are static mapping expressions: quoted.
        responseHeaders: Object.fromEntries(
          Object.entries({ 'Content-Type': 'application/problem+json', 'Cache-Control': 'no-store', ...response.headers }).map(
            ([name, value]) => [name, `'${value}'`],
          ),
        ),
        templates: { 'application/json': gatewayProblemBody(response.title, response.statusCode) },
      });
    }

    // Liveness without touching a function or a table.
    this.api.root.addResource('health').addMethod(
      'GET',
      new apigw.MockIntegration({
        passthroughBehavior: apigw.PassthroughBehavior.NEVER,
        requestTemplates: { 'application/json': '{"statusCode": 200}' },
        integrationResponses: [
          { statusCode: '200', responseTemplates: { 'application/json': '{"status":"ok"}' } },
        ],
      }),
      { methodResponses: [{ statusCode: '200' }] },
    );
  }
}
