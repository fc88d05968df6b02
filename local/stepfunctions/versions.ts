import { createHash } from 'node:crypto';
import { StateMachine } from 'aws-local-stepfunctions';
import { functionNameFromArn, prepareDefinition, type PreparedDefinition } from './prepare.ts';

/**
 * Definition versions, as AWS keeps them: an execution runs to its end on the definition it
 * started with. Locally a version is named by a content hash of the resolved ASL, so the same
 * definition is the same version whenever and wherever it was synthesized.
 */
export interface CompiledDefinition {
  readonly version: string;
  readonly prepared: PreparedDefinition;
  readonly machine: StateMachine;
}

/** Keys sorted at every level: the hash depends on the content, not on the order it was written in. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.keys(value).sort().map((k) => [k, canonical((value as Record<string, unknown>)[k])]));
  }
  return value;
}

export function definitionVersion(definition: Record<string, unknown>): string {
  return createHash('sha256').update(JSON.stringify(canonical(definition))).digest('hex').slice(0, 12);
}

/** A version that cannot run here: the reason is for the operator, and names no person. */
export class UnreplayableVersion extends Error {
  override readonly name = 'UnreplayableVersion';
}

/**
 * Prepares a definition for the local engine, refusing one it could not replay: not valid for
 * the library, or calling a function this runtime does not have.
 */
export function compileDefinition(
  version: string,
  definition: Record<string, unknown>,
  hasFunction: (name: string) => boolean,
): CompiledDefinition {
  let prepared: PreparedDefinition;
  let machine: StateMachine;
  try {
    // A copy: the library fills in defaults in place, which would change the recorded definition.
    prepared = prepareDefinition(structuredClone(definition));
    machine = new StateMachine(prepared.definition as never, { validationOptions: { checkArn: false, checkPaths: true } });
  } catch (error) {
    throw new UnreplayableVersion(`definition ${version} is not a runnable state machine: ${(error as Error).message}`);
  }
  const missing = [...new Set(calledFunctions(definition))].filter((name) => !hasFunction(name));
  if (missing.length) throw new UnreplayableVersion(`definition ${version} calls function(s) this runtime does not have: ${missing.join(', ')}`);
  return { version, prepared, machine };
}

/** Every Lambda function the definition names (task resources and integrations' FunctionName). */
function calledFunctions(value: unknown): string[] {
  if (typeof value === 'string') return /^arn:[^:]+:lambda:[^:]*:[^:]*:function:/.test(value) ? [functionNameFromArn(value)] : [];
  if (Array.isArray(value)) return value.flatMap(calledFunctions);
  if (value && typeof value === 'object') return Object.values(value).flatMap(calledFunctions);
  return [];
}
