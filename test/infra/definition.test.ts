import { journeyAliasName } from '../../infra/journey-state-machine.ts';
import { createRequire } from 'node:module';
import { beforeAll, describe, expect, it } from 'vitest';
import { functionCatalogue } from '../../functions/catalogue.ts';
import { journeyStates } from '../../workflows/states.ts';
import { synthAreaTemplate } from '../../infra/build-app.ts';
import { areaDefinition, resolveDefinition } from '../../infra/definition.ts';

// asl-validator is CommonJS without type declarations.
type AslValidator = (definition: object) => { isValid: boolean; errorsText: (separator?: string) => string };
const aslValidator = createRequire(import.meta.url)('asl-validator') as AslValidator;

const slug = 'south-yorkshire';
const opts = { region: 'eu-west-2', account: '123456789012' };
let template: Record<string, any>;

beforeAll(() => {
  template = synthAreaTemplate(slug);
}, 60_000);

/** Every string anywhere in a JSON value. */
function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (value && typeof value === 'object') return Object.values(value).flatMap(strings);
  return [];
}

describe('resolveDefinition', () => {
  it('turns the synthesized DefinitionString into valid ASL', () => {
    const { definition } = resolveDefinition(template, opts);
    // The validator annotates its input, so give it a copy.
    const result = aslValidator(structuredClone(definition));
    expect(result.errorsText('\n')).toBe('');
    expect(result.isValid).toBe(true);
    expect(definition).toMatchObject({ StartAt: journeyStates.triage });
    // Every named state is there, nested ones (Map and Parallel branches) included; a human
    // task names a group of states: <name>Open, <name>Reminder, <name>Overdue, <name>Grace, ...
    const names = new Set<string>();
    const collect = (states: Record<string, { Branches?: { States: object }[]; ItemProcessor?: { States: object } }>) => {
      for (const [name, state] of Object.entries(states)) {
        names.add(name);
        for (const branch of state.Branches ?? []) collect(branch.States as never);
        if (state.ItemProcessor) collect(state.ItemProcessor.States as never);
      }
    };
    collect((definition as { States: never }).States);
    const humanTasks: string[] = [
      journeyStates.review,
      journeyStates.firstContact,
      journeyStates.assessment,
      journeyStates.followUp,
      journeyStates.outcome,
      journeyStates.providerChase,
    ];
    const expected = Object.values(journeyStates).flatMap((name) =>
      humanTasks.includes(name) ? ['Open', 'Reminder', 'Overdue', 'Grace', 'MoreAttempts'].map((p) => `${name}${p}`) : [name],
    );
    for (const name of expected) expect(names, name).toContain(name);
  });

  it('names Lambda functions by the ARN of their journey alias, built from their FunctionName, with no intrinsics left', () => {
    const { definition } = resolveDefinition(template, opts);
    const arns = new Set(strings(definition).filter((s) => s.startsWith('arn:')));
    const workflowFunctions = ['triage', 'assign-coach', 'join-waitlist', 'open-task', 'record-stage', 'send-onward-referral'];
    for (const name of workflowFunctions) {
      expect(arns).toContain(`arn:aws:lambda:eu-west-2:123456789012:function:WorkWell-${slug}-${name}:${journeyAliasName}`);
    }
    expect(arns).toContain('arn:aws:states:::lambda:invoke.waitForTaskToken');
    for (const arn of arns) {
      if (arn.startsWith('arn:aws:lambda:')) {
        // Every call goes through an alias: an old definition version never pins old code.
        const [name, qualifier] = arn.split(':function:')[1]!.split(':');
        expect(functionCatalogue.map((f) => `WorkWell-${slug}-${f.name}`)).toContain(name);
        expect(qualifier).toBe(journeyAliasName);
      }
    }
    expect(JSON.stringify(definition)).not.toMatch(/Fn::|"Ref"/);
  });

  it('areaDefinition uses the area region and the fake account', { timeout: 60_000 }, () => {
    const text = JSON.stringify(areaDefinition(slug).definition);
    expect(text).toContain(`arn:aws:lambda:eu-west-2:000000000000:function:WorkWell-${slug}-triage`);
  });

  it('throws a clear error on an intrinsic it cannot resolve', () => {
    const machine = {
      Type: 'AWS::StepFunctions::StateMachine',
      Properties: {
        DefinitionString: { 'Fn::Join': ['', ['{"StartAt":"', { 'Fn::ImportValue': 'Elsewhere' }, '"}']] },
      },
    };
    expect(() => resolveDefinition({ Resources: { M: machine } }, opts)).toThrow(/cannot resolve intrinsic Fn::ImportValue/);
    const refToResource = { ...machine, Properties: { DefinitionString: { 'Fn::Join': ['', [{ Ref: 'SomeTable' }]] } } };
    expect(() => resolveDefinition({ Resources: { M: refToResource } }, opts)).toThrow(/cannot resolve \{"Ref": "SomeTable"\}/);
    const getAttOfTable = {
      Resources: {
        T: { Type: 'AWS::DynamoDB::Table', Properties: {} },
        M: { ...machine, Properties: { DefinitionString: { 'Fn::GetAtt': ['T', 'Arn'] } } },
      },
    };
    expect(() => resolveDefinition(getAttOfTable, opts)).toThrow(/only the Arn of an AWS::Lambda::Function/);
  });

  it('requires exactly one state machine', () => {
    expect(() => resolveDefinition({ Resources: {} }, opts)).toThrow(/exactly one AWS::StepFunctions::StateMachine/);
  });

  it('resolves pseudo parameters', () => {
    const machine = {
      Type: 'AWS::StepFunctions::StateMachine',
      Properties: {
        DefinitionString: {
          'Fn::Join': [
            '',
            ['{"x":"', { Ref: 'AWS::Partition' }, ':', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':', { Ref: 'AWS::URLSuffix' }, '"}'],
          ],
        },
      },
    };
    expect(resolveDefinition({ Resources: { M: machine } }, opts).definition).toEqual({
      x: 'aws:eu-west-2:123456789012:amazonaws.com',
    });
  });
});
