import { RemovalPolicy } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { FunctionName } from '../functions/catalogue.ts';
import { JourneyDefinition } from '../workflows/journey.ts';
import { encryptedLogGroup } from './logs.ts';

/**
 * The alias journeys start through: it points at the version the last deploy published, while
 * running executions stay on the version they started on (README: upgrades). The functions the
 * journey calls have an alias of the same name, pointing at the code the last deploy published.
 */
export const journeyAliasName = 'live';

/** Physical name of an area's journey state machine; its ARN is derived from it. */
export function journeyStateMachineName(areaSlug: string): string {
  return `WorkWell-${areaSlug}-journey`;
}

export interface JourneyStateMachineProps {
  readonly areaSlug: string;
  readonly key: kms.IKey;
  readonly functions: Readonly<Record<FunctionName, lambda.Function>>;
}

/** Each function's alias, made when the workflow first uses the function (only those it calls get one). */
function aliasesOnUse(functions: Readonly<Record<FunctionName, lambda.Function>>): Record<FunctionName, lambda.IFunction> {
  const aliases = {} as Record<FunctionName, lambda.IFunction>;
  for (const [name, fn] of Object.entries(functions) as [FunctionName, lambda.Function][]) {
    let alias: lambda.Alias | undefined;
    Object.defineProperty(aliases, name, { enumerable: true, get: () => (alias ??= fn.addAlias(journeyAliasName)) });
  }
  return aliases;
}

/** The area's referral journey: a Standard state machine from workflows/journey.ts, versioned. */
export class JourneyStateMachine extends Construct {
  readonly stateMachine: sfn.StateMachine;
  /** The version this deploy published (a new one only when the definition changed). */
  readonly version: sfn.CfnStateMachineVersion;
  readonly alias: sfn.CfnStateMachineAlias;

  constructor(scope: Construct, id: string, props: JourneyStateMachineProps) {
    super(scope, id);
    const name = journeyStateMachineName(props.areaSlug);
    // The /aws/vendedlogs/ prefix keeps Step Functions from growing the account's
    // CloudWatch Logs resource policy for every state machine.
    const logGroup = encryptedLogGroup(this, 'Logs', {
      logGroupName: `/aws/vendedlogs/states/${name}`,
      key: props.key,
    });
    // Every definition version calls the functions through their alias: a running journey on an
    // old version gets today's code (which accepts the previous version's inputs, README:
    // upgrades), and the alias ARNs keep the definition unchanged when only code changes.
    const definition = new JourneyDefinition(this, 'Definition', { functions: aliasesOnUse(props.functions) });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineName: name,
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromChainable(definition.chain),
      tracingEnabled: true,
      // ALL shows every transition; execution data stays out because it may name a person.
      logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
    });
    // A new revision replaces this resource, which publishes a version; the old one is retained,
    // since executions that started on it run for up to a year (deleted by hand once idle).
    this.version = new sfn.CfnStateMachineVersion(this, 'Version', {
      stateMachineArn: this.stateMachine.stateMachineArn,
      stateMachineRevisionId: this.stateMachine.stateMachineRevisionId,
      description: `${name}: the definition as deployed; executions keep the version they started on`,
    });
    this.version.applyRemovalPolicy(RemovalPolicy.RETAIN);
    this.alias = new sfn.CfnStateMachineAlias(this, 'Alias', {
      name: journeyAliasName,
      description: `${name}: new journeys start on the version the last deploy published`,
      routingConfiguration: [{ stateMachineVersionArn: this.version.attrArn, weight: 100 }],
    });
  }
}
