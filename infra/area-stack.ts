import { CfnOutput, Stack, Tags, type StackProps } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import type { AreaSettings } from '../areas/schema.ts';
import { AreaApi } from './api.ts';
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
    const { functions } = new AreaFunctions(this, 'Functions', {
      areaSlug: area.slug,
      key,
      tables: data.tables,
      tableNames: data.tableNames,
      stateMachine: journeyRef,
    });
    const journey = new JourneyStateMachine(this, 'Journey', { areaSlug: area.slug, key, functions });
    const { api } = new AreaApi(this, 'Api', { areaSlug: area.slug, key, functions });

    new CfnOutput(this, 'ApiUrl', { value: api.url });
    new CfnOutput(this, 'StateMachineArn', { value: journey.stateMachine.stateMachineArn });
    for (const [id, table] of Object.entries(data.tables)) {
      new CfnOutput(this, `${id}TableName`, { value: table.tableName });
    }
  }
}
