import type * as kms from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import { RemovalPolicy } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { apiRoutes } from '../functions/api-routes.ts';
import type { FunctionName } from '../functions/catalogue.ts';
import { encryptedLogGroup } from './logs.ts';

export interface AreaApiProps {
  readonly areaSlug: string;
  readonly key: kms.IKey;
  readonly functions: Readonly<Record<FunctionName, IFunction>>;
}

/** Stage name; route paths already carry the version (/v1/...). */
export const apiStageName = 'live';

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
      // Access logging needs the account-level CloudWatch role. It is one per account and
      // region, so it is retained: deleting one area's stack must not break the others' logs.
      cloudWatchRole: true,
      cloudWatchRoleRemovalPolicy: RemovalPolicy.RETAIN,
      deployOptions: {
        stageName: apiStageName,
        tracingEnabled: true,
        metricsEnabled: true,
        // No execution logging: it would write request bodies to a log group outside our key.
        dataTraceEnabled: false,
        accessLogDestination: new apigw.LogGroupLogDestination(accessLogs),
        accessLogFormat: apigw.AccessLogFormat.jsonWithStandardFields({
          caller: false,
          user: false,
          httpMethod: true,
          ip: true,
          protocol: true,
          requestTime: true,
          resourcePath: true,
          responseLength: true,
          status: true,
        }),
      },
    });

    for (const route of apiRoutes) {
      this.api.root
        .resourceForPath(route.path)
        .addMethod(route.method, new apigw.LambdaIntegration(props.functions[route.function], { proxy: true }));
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
