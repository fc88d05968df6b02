import { Aws, CfnOutput, Duration, Fn, Lazy, RemovalPolicy, Stack, Tags, TimeZone, type StackProps } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as schedulerTargets from 'aws-cdk-lib/aws-scheduler-targets';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as ses from 'aws-cdk-lib/aws-ses';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { notificationSettings, type AreaSettings } from '../areas/schema.ts';
import { AreaApi, apiStageName } from './api.ts';
import { AreaData } from './data.ts';
import { AreaFunctions } from './functions.ts';
import { JourneyStateMachine, journeyStateMachineName } from './journey-state-machine.ts';
import { createAreaKey } from './key.ts';

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
    // Coaches and team leads sign in here; the coach API takes their ID tokens (the staff id in
    // custom:staff_id, set by an administrator when the account is made, never by the user).
    const staffPool = new cognito.UserPool(this, 'StaffPool', {
      userPoolName: `WorkWell-${area.slug}-staff`,
      selfSignUpEnabled: false,
      signInAliases: { email: true },
      autoVerify: { email: true },
      mfa: cognito.Mfa.REQUIRED,
      mfaSecondFactor: { otp: true, sms: false },
      passwordPolicy: { minLength: 12, requireLowercase: true, requireUppercase: true, requireDigits: true, requireSymbols: false },
      accountRecovery: cognito.AccountRecovery.EMAIL_ONLY,
      customAttributes: { staff_id: new cognito.StringAttribute({ minLen: 1, maxLen: 64, mutable: false }) },
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
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
    });
    const coachIdentity = {
      issuer: staffPool.userPoolProviderUrl,
      jwksUri: `${staffPool.userPoolProviderUrl}/.well-known/jwks.json`,
      audience: staffClient.userPoolClientId,
    };
    let api: AreaApi['api'] | undefined;
    // Built from the API id alone (not its stage), so functions and API do not depend on each other.
    const publicApiUrl = Lazy.string({
      produce: () => Fn.join('', ['https://', api!.restApiId, '.execute-api.', Aws.REGION, '.', Aws.URL_SUFFIX, `/${apiStageName}`]),
    });
    const { functions } = new AreaFunctions(this, 'Functions', {
      areaSlug: area.slug,
      key,
      tables: data.tables,
      tableNames: data.tableNames,
      stateMachine: journeyRef,
      publicApiUrl,
      // Resolved by CloudFormation at deploy time; the value never appears in the template.
      providerKeySecret: providerKeySecret.secretValue.unsafeUnwrap(),
      coachIdentity,
      // Links in e-mails lead to the coach routes of this area's API.
      mail: { ...notificationSettings(area), linkBaseUrl: `${publicApiUrl}/v1` },
    });
    this.notifications(area, functions);
    const journey = new JourneyStateMachine(this, 'Journey', { areaSlug: area.slug, key, functions });
    api = new AreaApi(this, 'Api', { areaSlug: area.slug, key, functions }).api;

    new CfnOutput(this, 'ApiUrl', { value: api.url });
    new CfnOutput(this, 'StaffUserPoolId', { value: staffPool.userPoolId });
    new CfnOutput(this, 'StaffUserPoolClientId', { value: staffClient.userPoolClientId });
    new CfnOutput(this, 'StateMachineArn', { value: journey.stateMachine.stateMachineArn });
    for (const [id, table] of Object.entries(data.tables)) {
      new CfnOutput(this, `${id}TableName`, { value: table.tableName });
    }
  }

  /**
   * Notifications: the sender's domain as an SES identity (channel 'ses'; DNS records to add
   * are in the identity's DKIM outputs), ses:SendEmail for the notifier only, and EventBridge
   * Scheduler schedules: the notifier every minute, the daily digest at 07:30 on weekdays in
   * the area's time zone (Europe/London).
   */
  private notifications(area: AreaSettings, functions: AreaFunctions['functions']): void {
    const mail = notificationSettings(area);
    if (mail.channel === 'ses') {
      const domain = mail.from.split('@')[1]!;
      const identity = new ses.EmailIdentity(this, 'MailIdentity', { identity: ses.Identity.domain(domain) });
      identity.grantSendEmail(functions.notifier);
    }
    new scheduler.Schedule(this, 'NotifierSchedule', {
      scheduleName: `WorkWell-${area.shortSlug ?? area.slug}-notifier`,
      description: 'Sends pending notifications',
      schedule: scheduler.ScheduleExpression.rate(Duration.minutes(1)),
      // A missed minute is caught up by the next one: no retries that would overlap runs.
      target: new schedulerTargets.LambdaInvoke(functions.notifier, { retryAttempts: 0, maxEventAge: Duration.minutes(1) }),
    });
    new scheduler.Schedule(this, 'DailyDigestSchedule', {
      scheduleName: `WorkWell-${area.shortSlug ?? area.slug}-daily-digest`,
      description: "Coaches' morning digest of tasks due today and overdue",
      schedule: scheduler.ScheduleExpression.cron({ minute: '30', hour: '7', weekDay: 'MON-FRI', timeZone: TimeZone.of(area.timeZone) }),
      // Retrying is safe: the digest's ids make a repeat the same day a no-op.
      target: new schedulerTargets.LambdaInvoke(functions['daily-digest'], { retryAttempts: 2, maxEventAge: Duration.hours(2) }),
    });
  }
}
