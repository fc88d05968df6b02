import { Aws, CfnOutput, Duration, Fn, Lazy, RemovalPolicy, Stack, Tags, type StackProps } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as ses from 'aws-cdk-lib/aws-ses';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { InvalidAreaSettings } from '../areas/index.ts';
import { notificationSettings, type AreaSettings } from '../areas/schema.ts';
import { AreaAlarms } from './alarms.ts';
import { AreaApi, apiStageName } from './api.ts';
import { createDashboard } from './dashboard.ts';
import { AreaData } from './data.ts';
import { AreaFunctions } from './functions.ts';
import { JourneyStateMachine, journeyStateMachineName } from './journey-state-machine.ts';
import { createAreaKey } from './key.ts';
import { createOperatorsTopic } from './operators-topic.ts';
import { createSchedules, scheduleDeadLetterQueues } from './schedules.ts';
import { ApiFirewall } from './waf.ts';

export function areaStackName(areaSlug: string): string {
  return `WorkWell-${areaSlug}`;
}

export interface AreaStackProps extends Omit<StackProps, 'env' | 'stackName'> {
  readonly area: AreaSettings;
}

/** Everything one pilot area runs on: key, tables, functions, journey state machine, API. */
export class AreaStack extends Stack {
  constructor(scope: Construct, id: string, props: AreaStackProps) {
    const { area, ...rest } = props;
    super(scope, id, {
      ...rest,
      stackName: areaStackName(area.slug),
      // No account in the settings leaves the stack account-agnostic: synth needs no credentials.
      env: { region: area.aws.region, ...(area.aws.account ? { account: area.aws.account } : {}) },
      description: `WorkWell journeys: ${area.name}`,
    });
    Tags.of(this).add('workwell:area', area.slug);

    const key = createAreaKey(this, area.slug);
    const data = new AreaData(this, 'Data', { areaSlug: area.slug, key });

    // Functions get the state machine by name so that building them needs nothing from it.
    const journeyRef = sfn.StateMachine.fromStateMachineName(this, 'JourneyByName', journeyStateMachineName(area.slug));
    // Providers' keys derive from this secret (HMAC), so no provider key is ever stored.
    const providerKeySecret = new secretsmanager.Secret(this, 'ProviderKeySecret', {
      description: `WorkWell ${area.slug}: secret that onward referral provider keys derive from`,
      encryptionKey: key,
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
    });
    // The person index's HMAC keys (functions/shared/person-index-key.ts): a key ring whose first
    // version is generated here; operators rotate it with ops/person-index.ts.
    const personIndexKeySecret = new secretsmanager.Secret(this, 'PersonIndexKeySecret', {
      description: `WorkWell ${area.slug}: keys the person index hashes are made with`,
      encryptionKey: key,
      generateSecretString: {
        secretStringTemplate: JSON.stringify({ current: 'k1' }),
        generateStringKey: 'k1',
        passwordLength: 64,
        excludePunctuation: true,
      },
    });
    // Coaches and team leads sign in here; the coach API takes their ID tokens (the staff id in
    // custom:staff_id, set by an administrator when the account is made, never by the user).
    const staffPool = new cognito.UserPool(this, 'StaffPool', {
      userPoolName: `WorkWell-${area.slug}-staff`,
      selfSignUpEnabled: false,
      signInAliases: { email: true },
      autoVerify: { email: true },
      mfa: cognito.Mfa.REQUIRED,
      mfaSecondFactor: { otp: true, sms: false },
      passwordPolicy: { minLength: 12, requireLowercase: true, requireUppercase: true, requireDigits: true, requireSymbols: true },
      // Plus: Cognito's threat protection blocks sign-ins with leaked or attacked credentials.
      featurePlan: cognito.FeaturePlan.PLUS,
      standardThreatProtectionMode: cognito.StandardThreatProtectionMode.FULL_FUNCTION,
      accountRecovery: cognito.AccountRecovery.EMAIL_ONLY,
      customAttributes: { staff_id: new cognito.StringAttribute({ minLen: 1, maxLen: 64, mutable: false }) },
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    let api: AreaApi['api'] | undefined;
    // Built from the API id alone (not its stage), so functions and API do not depend on each other.
    const publicApiUrl = Lazy.string({
      produce: () => Fn.join('', ['https://', api!.restApiId, '.execute-api.', Aws.REGION, '.', Aws.URL_SUFFIX, `/${apiStageName}`]),
    });
    const staffClient = staffPool.addClient('CoachApiClient', {
      userPoolClientName: `WorkWell-${area.slug}-coach-api`,
      generateSecret: false,
      authFlows: { userSrp: true },
      preventUserExistenceErrors: true,
      idTokenValidity: Duration.hours(1),
      accessTokenValidity: Duration.hours(1),
      refreshTokenValidity: Duration.hours(12),
      readAttributes: new cognito.ClientAttributes()
        .withStandardAttributes({ email: true, emailVerified: true, fullname: true })
        .withCustomAttributes('staff_id'),
      // Users may not write their staff id (nor anything else through this client).
      writeAttributes: new cognito.ClientAttributes(),
      // The web workspace signs staff in on the pool's hosted page (authorisation code flow);
      // the ID token then has this client as audience, like the coach API's tokens.
      oAuth: {
        flows: { authorizationCodeGrant: true },
        scopes: [cognito.OAuthScope.OPENID],
        callbackUrls: [`${publicApiUrl}/coach/signed-in`],
        // Signing out of the workspace ends the hosted UI's session too; its /logout sends the
        // browser back only to a registered address (functions/web/coach/hosted-ui.ts).
        logoutUrls: [`${publicApiUrl}/coach/signed-out`],
      },
      supportedIdentityProviders: [cognito.UserPoolClientIdentityProvider.COGNITO],
    });
    // The hosted sign-in page's address: https://workwell-<slug>.auth.<region>.amazoncognito.com
    // (the prefix must be unused in the region across AWS).
    const signInDomain = staffPool.addDomain('StaffSignIn', {
      cognitoDomain: { domainPrefix: `workwell-${area.shortSlug ?? area.slug}` },
    });
    const coachIdentity = {
      issuer: staffPool.userPoolProviderUrl,
      jwksUri: `${staffPool.userPoolProviderUrl}/.well-known/jwks.json`,
      audience: staffClient.userPoolClientId,
    };
    const deadLetterQueues = scheduleDeadLetterQueues(this, area, key);
    const { functions } = new AreaFunctions(this, 'Functions', {
      areaSlug: area.slug,
      key,
      tables: data.tables,
      tableNames: data.tableNames,
      stateMachine: journeyRef,
      publicApiUrl,
      // Resolved by CloudFormation at deploy time; the value never appears in the template.
      providerKeySecret: providerKeySecret.secretValue.unsafeUnwrap(),
      personIndexKeySecret,
      coachIdentity,
      coachSignIn: { mode: 'hosted-ui', domain: signInDomain.baseUrl(), clientId: staffClient.userPoolClientId },
      // Links in e-mails lead to the coach routes of this area's API.
      mail: { ...notificationSettings(area), linkBaseUrl: publicApiUrl },
      deadLetterQueues,
    });
    this.mailIdentity(area, functions);
    createSchedules(this, { area, functions, deadLetterQueues, key });
    const journey = new JourneyStateMachine(this, 'Journey', { areaSlug: area.slug, key, functions });
    api = new AreaApi(this, 'Api', { areaSlug: area.slug, key, functions }).api;
    new ApiFirewall(this, 'Firewall', { area, key, stage: api.deploymentStage });

    // Observability: alarms to the operators' topic, and one dashboard.
    const operatorsTopic = createOperatorsTopic(this, area, key);
    const observed = { stateMachine: journey.stateMachine, api, functions };
    new AreaAlarms(this, 'Alarms', { area, topic: operatorsTopic, deadLetterQueues, journeyVersionArn: journey.version.attrArn, ...observed });
    createDashboard(this, { areaSlug: area.slug, ...observed });

    new CfnOutput(this, 'ApiUrl', { value: api.url });
    new CfnOutput(this, 'StaffUserPoolId', { value: staffPool.userPoolId });
    new CfnOutput(this, 'StaffUserPoolClientId', { value: staffClient.userPoolClientId });
    new CfnOutput(this, 'StaffSignInUrl', { value: signInDomain.baseUrl() });
    // Operators rotate the person index's keys with it (npm run person-index -- ... --person-index-secret <arn>).
    new CfnOutput(this, 'PersonIndexKeySecretArn', { value: personIndexKeySecret.secretArn });
    new CfnOutput(this, 'CoachWorkspaceUrl', { value: `${publicApiUrl}/coach` });
    new CfnOutput(this, 'SelfReferralUrl', { value: `${publicApiUrl}/self-referral` });
    new CfnOutput(this, 'StateMachineArn', { value: journey.stateMachine.stateMachineArn });
    new CfnOutput(this, 'StateMachineAliasArn', { value: journey.alias.attrArn });
    new CfnOutput(this, 'StateMachineVersionArn', { value: journey.version.attrArn });
    new CfnOutput(this, 'OperatorsTopicArn', { value: operatorsTopic.topicArn });
    for (const [id, table] of Object.entries(data.tables)) {
      new CfnOutput(this, `${id}TableName`, { value: table.tableName });
    }
  }

  /**
   * Notifications go out through SES when the area's channel is 'ses': the sender's domain as
   * an SES identity (DNS records to add are in the identity's DKIM outputs), ses:SendEmail for
   * the notifier only. Schedules are in infra/schedules.ts.
   */
  private mailIdentity(area: AreaSettings, functions: AreaFunctions['functions']): void {
    const mail = notificationSettings(area);
    if (mail.channel === 'notify') {
      // The notifier can speak to Notify (functions/shared/mailer.ts), but the stack does not yet
      // hold a Notify API key or template ids for it: deployed, every e-mail would fail.
      throw new InvalidAreaSettings(
        `Invalid area settings in areas/${area.slug}.json: notifications.channel: "notify" cannot be deployed yet (the stack has no GOV.UK Notify API key or template ids); use "ses"`,
      );
    }
    if (mail.channel === 'ses') {
      const domain = mail.from.split('@')[1]!;
      const identity = new ses.EmailIdentity(this, 'MailIdentity', { identity: ses.Identity.domain(domain) });
      identity.grantSendEmail(functions.notifier);
    }
  }
}
