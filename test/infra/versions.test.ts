import { beforeAll, describe, expect, it } from 'vitest';
import { functionCatalogue, lambdaName } from '../../functions/catalogue.ts';
import { journeyAliasName } from '../../infra/journey-state-machine.ts';
import { alarmNamePrefix } from '../../infra/alarm-catalogue.ts';
import { asText, buildAllAreas, policyStatements, resourcesOfType, type AreaBuild } from './support/area-builds.ts';

/**
 * Upgrades with journeys in flight (README: upgrades): every area publishes a journey version on
 * deploy, starts journeys through the alias, and calls its functions through their aliases.
 */
let builds: AreaBuild[];
beforeAll(() => {
  builds = buildAllAreas();
}, 240_000);

const one = (b: AreaBuild, type: string) => {
  const found = resourcesOfType(b.template, type);
  expect(found, `${b.slug}: ${type}`).toHaveLength(1);
  return found[0]!;
};

describe('journey versions and aliases, all 15 areas', () => {
  it('publishes a version of the state machine at each new revision, and keeps old versions', () => {
    expect(builds).toHaveLength(15);
    for (const b of builds) {
      const [machineId] = one(b, 'AWS::StepFunctions::StateMachine');
      const [, version] = one(b, 'AWS::StepFunctions::StateMachineVersion');
      expect(version.Properties.StateMachineArn, b.slug).toEqual({ Ref: machineId });
      expect(version.Properties.StateMachineRevisionId, b.slug).toEqual({ 'Fn::GetAtt': [machineId, 'StateMachineRevisionId'] });
      // Executions started on it may run for a year after the next deploy replaces it.
      expect(version.DeletionPolicy, b.slug).toBe('Retain');
      expect(version.UpdateReplacePolicy, b.slug).toBe('Retain');
    }
  });

  it('has an alias `live` sending every new journey to the version just published', () => {
    for (const b of builds) {
      const [versionId] = one(b, 'AWS::StepFunctions::StateMachineVersion');
      const [, alias] = one(b, 'AWS::StepFunctions::StateMachineAlias');
      expect(alias.Properties.Name, b.slug).toBe(journeyAliasName);
      expect(alias.Properties.RoutingConfiguration, b.slug).toEqual([{ StateMachineVersionArn: { 'Fn::GetAtt': [versionId, 'Arn'] }, Weight: 100 }]);
      expect(Object.keys(b.template.Outputs), b.slug).toEqual(expect.arrayContaining(['StateMachineAliasArn', 'StateMachineVersionArn']));
    }
  });

  it('starts journeys only through the alias: JOURNEY_ALIAS_ARN, and StartExecution allowed on the alias alone', () => {
    for (const b of builds) {
      const functions = resourcesOfType(b.template, 'AWS::Lambda::Function');
      const starters = functionCatalogue.filter((f) => (f.stateMachine as readonly string[]).includes('start'));
      expect(starters.length).toBeGreaterThan(0);
      for (const def of functionCatalogue) {
        const [, fn] = functions.find(([, f]) => f.Properties.FunctionName === lambdaName(b.slug, def.name))!;
        const env = fn.Properties.Environment.Variables;
        if (!starters.includes(def)) {
          expect(env.JOURNEY_ALIAS_ARN, `${b.slug} ${def.name}`).toBeUndefined();
          continue;
        }
        expect(asText(env.JOURNEY_ALIAS_ARN, b.template), `${b.slug} ${def.name}`).toMatch(
          new RegExp(`:stateMachine:WorkWell-${b.slug}-journey:${journeyAliasName}$`),
        );
      }
      const starts = policyStatements(b.template).filter(({ statement }) => [statement.Action].flat().includes('states:StartExecution'));
      expect(starts.length, b.slug).toBe(starters.length);
      for (const { statement } of starts) {
        expect(asText(statement.Resource, b.template), b.slug).toMatch(new RegExp(`:stateMachine:WorkWell-${b.slug}-journey:${journeyAliasName}$`));
      }
    }
  });

  it('calls every function through its alias `live`, on a version kept after the next deploy', () => {
    for (const b of builds) {
      const [, machine] = one(b, 'AWS::StepFunctions::StateMachine');
      const parts = machine.Properties.DefinitionString['Fn::Join'][1] as unknown[];
      // Every intrinsic but the partition (in the integrations' own ARNs) names a function.
      const refs = parts.filter((p): p is Record<string, any> => typeof p === 'object' && (p as any).Ref !== 'AWS::Partition');
      expect(refs.length, b.slug).toBeGreaterThan(0);
      for (const ref of refs) {
        const target = b.template.Resources[ref.Ref];
        expect(target?.Type, `${b.slug}: ${JSON.stringify(ref)}`).toBe('AWS::Lambda::Alias');
        expect(target.Properties.Name).toBe(journeyAliasName);
        const version = b.template.Resources[target.Properties.FunctionVersion['Fn::GetAtt'][0]];
        expect(version.Type).toBe('AWS::Lambda::Version');
        expect(version.DeletionPolicy, b.slug).toBe('Retain');
      }
    }
  });

  it('alarms when journeys started on the new version fail', () => {
    for (const b of builds) {
      const [versionId] = one(b, 'AWS::StepFunctions::StateMachineVersion');
      const alarm = resourcesOfType(b.template, 'AWS::CloudWatch::Alarm').find(
        ([, a]) => a.Properties.AlarmName === `${alarmNamePrefix(b.slug)}journey-failed-new-version`,
      );
      expect(alarm, b.slug).toBeDefined();
      const p = alarm![1].Properties;
      expect(p.Namespace).toBe('AWS/States');
      expect(p.MetricName).toBe('ExecutionsFailed');
      expect(p.Dimensions).toEqual([{ Name: 'StateMachineArn', Value: { 'Fn::GetAtt': [versionId, 'Arn'] } }]);
      expect(p.AlarmActions).toHaveLength(1);
    }
  });
});
