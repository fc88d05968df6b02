import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { FunctionName } from '../functions/catalogue.ts';
import { JourneyDefinition } from '../workflows/journey.ts';
import { encryptedLogGroup } from './logs.ts';

/** Physical name of an area's journey state machine; its ARN is derived from it. */
export function journeyStateMachineName(areaSlug: string): string {
  return `WorkWell-${areaSlug}-journey`;
}

export interface JourneyStateMachineProps {
  readonly areaSlug: string;
  readonly key: kms.IKey;
  readonly functions: Readonly<Record<FunctionName, IFunction>>;
}

/** The area's referral journey: a Standard state machine from workflows/journey.ts. */
export class JourneyStateMachine extends Construct {
  readonly stateMachine: sfn.StateMachine;

  constructor(scope: Construct, id: string, props: JourneyStateMachineProps) {
    super(scope, id);
    const name = journeyStateMachineName(props.areaSlug);
    // The /aws/vendedlogs/ prefix keeps Step Functions from growing the account's
    // CloudWatch Logs resource policy for every state machine.
    const logGroup = encryptedLogGroup(this, 'Logs', {
      logGroupName: `/aws/vendedlogs/states/${name}`,
      key: props.key,
    });
    const definition = new JourneyDefinition(this, 'Definition', { functions: props.functions });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineName: name,
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromChainable(definition.chain),
      tracingEnabled: true,
      // ALL shows every transition; execution data stays out because it may name a person.
      logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
    });
  }
}
