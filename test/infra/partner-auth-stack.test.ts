import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { apiRoutes } from '../../functions/api-routes.ts';
import { synthAreaTemplate } from '../../infra/build-app.ts';

/** The partner authorizer, gateway responses and rate limit settings in an area's stack. */
const slug = 'south-yorkshire';
let template: Template;

beforeAll(() => {
  template = Template.fromJSON(synthAreaTemplate(slug));
}, 60_000);

function functionLogicalId(name: string): string {
  const ids = Object.keys(
    template.findResources('AWS::Lambda::Function', { Properties: { FunctionName: `WorkWell-${slug}-${name}` } }),
  );
  expect(ids).toHaveLength(1);
  return ids[0]!;
}

function pathOf(resourceId: any): string {
  const resources = template.findResources('AWS::ApiGateway::Resource');
  if (resourceId?.['Fn::GetAtt']?.[1] === 'RootResourceId') return '';
  const resource = resources[resourceId.Ref]!;
  return `${pathOf(resource.Properties.ParentId)}/${resource.Properties.PathPart}`;
}

describe(`partner authentication in the stack (${slug})`, () => {
  const authorizerFor = (fn: string) =>
    Object.entries(template.findResources('AWS::ApiGateway::Authorizer')).find(([, a]) =>
      JSON.stringify(a.Properties.AuthorizerUri).includes(functionLogicalId(fn)),
    );

  it('has one REQUEST authorizer on the Authorization header, cached 5 minutes, from the catalogue function', () => {
    // Two in all: partners', and coaches' (a JWT of the area's staff user pool).
    template.resourceCountIs('AWS::ApiGateway::Authorizer', 2);
    const authorizer = authorizerFor('partner-authorizer')?.[1];
    expect(authorizerFor('coach-authorizer')?.[1]?.Properties).toMatchObject({ Type: 'REQUEST', IdentitySource: 'method.request.header.Authorization' });
    expect(authorizer!.Properties).toMatchObject({
      Type: 'REQUEST',
      IdentitySource: 'method.request.header.Authorization',
      AuthorizerResultTtlInSeconds: 300,
    });
    expect(JSON.stringify(authorizer!.Properties.AuthorizerUri)).toContain(functionLogicalId('partner-authorizer'));
  });

  it('attaches it to every partner route and to no public one', () => {
    const authorizerId = authorizerFor('partner-authorizer')![0];
    const coachAuthorizerId = authorizerFor('coach-authorizer')![0];
    const methods = Object.values(template.findResources('AWS::ApiGateway::Method'));
    for (const route of apiRoutes) {
      const method = methods.find((m) => m.Properties.HttpMethod === route.method && pathOf(m.Properties.ResourceId) === route.path);
      expect(method, `${route.method} ${route.path}`).toBeDefined();
      if (route.auth === 'partner') {
        expect(method!.Properties.AuthorizationType).toBe('CUSTOM');
        expect(method!.Properties.AuthorizerId).toEqual({ Ref: authorizerId });
      } else if (route.auth === 'coach') {
        expect(method!.Properties.AuthorizationType).toBe('CUSTOM');
        expect(method!.Properties.AuthorizerId).toEqual({ Ref: coachAuthorizerId });
      } else {
        expect(method!.Properties.AuthorizationType ?? 'NONE').toBe('NONE');
        expect(method!.Properties.AuthorizerId).toBeUndefined();
      }
    }
  });

  it('answers its own errors as problem+json with no detail', () => {
    const expected = {
      UNAUTHORIZED: { status: '401', title: 'Unauthorized' },
      ACCESS_DENIED: { status: '403', title: 'Forbidden' },
      THROTTLED: { status: '429', title: 'Too Many Requests' },
      DEFAULT_4XX: { status: undefined, title: 'Request refused' },
      DEFAULT_5XX: { status: undefined, title: 'Service error' },
    };
    for (const [type, { status, title }] of Object.entries(expected)) {
      const found = Object.values(template.findResources('AWS::ApiGateway::GatewayResponse', { Properties: { ResponseType: type } }));
      expect(found, type).toHaveLength(1);
      const p = found[0]!.Properties;
      expect(p.StatusCode).toBe(status);
      expect(p.ResponseParameters['gatewayresponse.header.Content-Type']).toBe("'application/problem+json'");
      const body = JSON.parse(p.ResponseTemplates['application/json']);
      expect(body).toEqual({ type: 'about:blank', title, ...(status ? { status: Number(status) } : {}) });
    }
    template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: 'UNAUTHORIZED',
      ResponseParameters: Match.objectLike({ 'gatewayresponse.header.WWW-Authenticate': "'Bearer'" }),
    });
  });

  it('gives the partner-facing functions PARTNER_RATE_LIMIT_PER_MINUTE', () => {
    for (const name of ['intake', 'referral-status', 'cancel-referral', 'fhir-intake']) {
      const fn = template.findResources('AWS::Lambda::Function')[functionLogicalId(name)]!;
      expect(fn.Properties.Environment.Variables.PARTNER_RATE_LIMIT_PER_MINUTE, name).toBe('120');
    }
    const authorizer = template.findResources('AWS::Lambda::Function')[functionLogicalId('partner-authorizer')]!;
    expect(authorizer.Properties.Environment.Variables.PARTNER_RATE_LIMIT_PER_MINUTE).toBeUndefined();
  });
});
