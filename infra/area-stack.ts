import { Aws, CfnOutput, Fn, Lazy, Stack, Tags, type StackProps } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import type { AreaSettings } from '../areas/schema.ts';
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
    });
    const journey = new JourneyStateMachine(this, 'Journey', { areaSlug: area.slug, key, functions });
    api = new AreaApi(this, 'Api', { areaSlug: area.slug, key, functions }).api;

    new CfnOutput(this, 'ApiUrl', { value: api.url });
    new CfnOutput(this, 'StateMachineArn', { value: journey.stateMachine.stateMachineArn });
    for (const [id, table] of Object.entries(data.tables)) {
      new CfnOutput(this, `${id}TableName`, { value: table.tableName });
    }
  }
}
