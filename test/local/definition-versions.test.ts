import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../local/clock.ts';
import { LocalStepFunctions } from '../../local/stepfunctions/engine.ts';
import { definitionVersion } from '../../local/stepfunctions/versions.ts';

/**
 * The journal and definition versions (README: upgrades): executions resume on the version they
 * started on; one whose definition is missing or cannot run is held and reported, never moved
 * onto the current version; journals written before versions are read with the migration rule.
 */
const arn = 'arn:aws:states:eu-west-2:000000000000:stateMachine:WorkWell-test-versions-journey';
const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A journey that waits a day, then calls `fn`. */
const waiting = (fn: string) => ({
  StartAt: 'Hold',
  States: {
    Hold: { Type: 'Wait', Seconds: 86_400, Next: 'Call' },
    Call: { Type: 'Task', Resource: `arn:aws:lambda:eu-west-2:000000000000:function:${fn}:live`, End: true },
  },
});

function journalWith(entries: object[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'workwell-versions-'));
  dirs.push(dir);
  const path = join(dir, 'stepfunctions.jsonl');
  writeFileSync(path, entries.map((e) => JSON.stringify(e)).join('\n') + '\n');
  return path;
}

const started = (name: string, extra: object = {}) => ({
  t: 'start',
  e: { executionArn: `${arn.replace(':stateMachine:', ':execution:')}:${name}`, stateMachineArn: arn, name, input: {}, startDate: 0, status: 'RUNNING', ...extra },
});

function engine(journalPath: string, definition: Record<string, unknown>, functions: string[]) {
  const calls: string[] = [];
  const sfn = new LocalStepFunctions({
    stateMachineArn: arn,
    definition,
    clock: new ManualClock(Date.UTC(2026, 0, 5)),
    journalPath,
    hasFunction: (name) => functions.includes(name),
    invoke: async (name) => (calls.push(name), {}),
  });
  return { sfn, calls };
}

describe('definition versions in the local journal', () => {
  it('takes executions from a journal without versions as running on the current definition, and records that', () => {
    const current = waiting('fn-a');
    const path = journalWith([started('legacy')]);
    const { sfn } = engine(path, current, ['fn-a']);
    try {
      expect(sfn.resume()).toEqual({ resumed: 1, held: [], migrated: 1 });
      expect(sfn.describeExecution(`${arn.replace(':stateMachine:', ':execution:')}:legacy`).version).toBe(definitionVersion(current));
      expect(readFileSync(path, 'utf8')).toContain(`"t":"version"`);
    } finally {
      sfn.close();
    }
  });

  it('holds an execution whose definition is not in the journal, and one whose definition calls a function that is gone; runs neither on the current version', async () => {
    const old = waiting('fn-removed');
    const path = journalWith([
      { t: 'definition', r: { id: 'oldversion01', recordedAt: 0, definition: old } },
      started('lost', { version: 'nosuchdef000' }),
      started('stale', { version: 'oldversion01' }),
    ]);
    const { sfn, calls } = engine(path, waiting('fn-a'), ['fn-a']);
    try {
      const report = sfn.resume();
      expect(report.resumed).toBe(0);
      expect(report.held).toEqual([
        { name: 'lost', version: 'nosuchdef000', reason: 'definition nosuchdef000 is not in the journal' },
        { name: 'stale', version: 'oldversion01', reason: 'definition oldversion01 calls function(s) this runtime does not have: fn-removed' },
      ]);
      await sfn.idle();
      expect(calls).toEqual([]);
      for (const name of ['lost', 'stale']) {
        expect(sfn.describeExecution(`${arn.replace(':stateMachine:', ':execution:')}:${name}`).status).toBe('RUNNING');
      }
      expect(sfn.runningByVersion()).toEqual([
        { version: definitionVersion(waiting('fn-a')), current: true, running: 0 },
        { version: 'nosuchdef000', current: false, running: 1 },
        { version: 'oldversion01', current: false, running: 1 },
      ]);
    } finally {
      sfn.close();
    }
  });

  it('keeps a definition in the journal while an execution runs on it, and drops it once none does', () => {
    const v1 = waiting('fn-a');
    const v2 = waiting('fn-b');
    const path = journalWith([]);
    let { sfn } = engine(path, v1, ['fn-a', 'fn-b']);
    const { executionArn } = sfn.startExecution('first', '{}', 'live');
    sfn.close();

    ({ sfn } = engine(path, v2, ['fn-a', 'fn-b']));
    expect(sfn.versions().map((v) => v.version).sort()).toEqual([definitionVersion(v1), definitionVersion(v2)].sort());
    expect(sfn.describeExecution(executionArn)).toMatchObject({ version: definitionVersion(v1), aliasName: 'live' });
    sfn.stopExecution(executionArn);
    sfn.close();

    ({ sfn } = engine(path, v2, ['fn-a', 'fn-b']));
    expect(sfn.versions().map((v) => v.version)).toEqual([definitionVersion(v2)]);
    sfn.close();
  });
});
