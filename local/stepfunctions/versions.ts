import { createHash } from 'node:crypto';
import { StateMachine } from 'aws-local-stepfunctions';
import type { ExecutionRecord, Journal } from './journal.ts';
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

/**
 * The definitions a runtime holds: the current one (new executions start on it) and, from the
 * journal, each one a running execution started on, compiled when first needed.
 */
export class DefinitionVersions {
  readonly current: string;
  /** Running executions from a journal without versions, pinned to the current version at start. */
  readonly migrated: number = 0;
  private readonly compiled = new Map<string, CompiledDefinition>();

  constructor(
    private readonly journal: Journal,
    definition: Record<string, unknown>,
    private readonly hasFunction: (name: string) => boolean,
    now: number,
  ) {
    this.current = definitionVersion(definition);
    // The current definition must run: a broken one stops the runtime here, as before versions.
    this.compiled.set(this.current, compileDefinition(this.current, definition, hasFunction));
    journal.recordDefinition({ id: this.current, recordedAt: now, definition });
    // Migration rule (README: upgrades): a journal written before versions ran every execution on
    // the definition the runtime started with, so each running one is pinned to the current version.
    for (const ex of journal.executions.values()) {
      if (ex.status === 'RUNNING' && ex.version === undefined) {
        journal.assignVersion(ex.executionArn, this.current);
        this.migrated++;
      }
    }
  }

  has(version: string): boolean {
    return this.journal.definitions.has(version);
  }

  /** The compiled definition an execution runs on; UnreplayableVersion when missing or not runnable. */
  of(ex: ExecutionRecord): CompiledDefinition {
    const version = ex.version ?? this.current;
    const known = this.compiled.get(version);
    if (known) return known;
    const record = this.journal.definitions.get(version);
    if (!record) throw new UnreplayableVersion(`definition ${version} is not in the journal`);
    const compiled = compileDefinition(version, record.definition, this.hasFunction);
    this.compiled.set(version, compiled);
    return compiled;
  }

  /** Versions held (the current one and those running executions started on), newest first. */
  list(): { version: string; recordedAt: number }[] {
    return [...this.journal.definitions.values()]
      .map((d) => ({ version: d.id, recordedAt: d.recordedAt }))
      .sort((a, b) => b.recordedAt - a.recordedAt);
  }

  /** Running executions per version, the current version always listed. */
  running(): { version: string; current: boolean; running: number }[] {
    const counts = new Map<string, number>([[this.current, 0]]);
    for (const ex of this.journal.executions.values()) {
      if (ex.status === 'RUNNING') counts.set(ex.version ?? 'none', (counts.get(ex.version ?? 'none') ?? 0) + 1);
    }
    return [...counts].map(([version, running]) => ({ version, current: version === this.current, running }));
  }
}
