import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeExecutionCommand, ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { afterAll, describe, expect, it } from 'vitest';
import { loadArea } from '../../areas/index.ts';
import { listTasks, listTimeline } from '../../functions/shared/referral-store.ts';
import { completeTask } from '../../functions/shared/task-completion.ts';
import { results } from '../support/journey.ts';
import { tableName, journeysTable } from '../../functions/shared/tables.ts';
import { ManualClock } from '../../local/clock.ts';
import { freePort } from '../../local/ports.ts';
import { startRuntime } from '../../local/runtime.ts';
import { referralForNewPerson } from '../fixtures/referrals.ts';
import { HOUR } from '../support/runtime.ts';
import { killGroup, type RuntimeProcess, startRuntimeProcess } from '../support/runtime-process.ts';
import { until } from '../support/until.ts';

/**
 * Killing the local runtime loses nothing: journeys waiting on a person or a timer wait again
 * at the same place after a restart, and finish when the person answers or the time comes.
 */
const area = loadArea('south-yorkshire');
const dirs: string[] = [];
const children: ChildProcess[] = [];

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'workwell-restart-'));
  dirs.push(dir);
  return dir;
}

afterAll(() => {
  for (const child of children) if (child.exitCode === null) killGroup(child);
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** `npm start` as a user runs it (test/support/runtime-process.ts), killed with the tests. */
async function startProcess(dataDir: string, port: number): Promise<RuntimeProcess> {
  const started = await startRuntimeProcess({ dataDir, port });
  children.push(started.child);
  return started;
}

/** The first local demo partner's credential, from the file the runtime writes. */
function demoAuth(dataDir: string): Record<string, string> {
  const file = JSON.parse(readFileSync(join(dataDir, 'credentials.json'), 'utf8')) as { partners: { token: string }[] };
  return { authorization: `Bearer ${file.partners[0]!.token}` };
}

async function statusOf(api: string, referralId: string, auth: Record<string, string>): Promise<string> {
  const res = await fetch(`${api}/v1/referrals/${referralId}`, { headers: auth });
  return ((await res.json()) as { status: string }).status;
}

function pointStoreAt(dynamoEndpoint: string, sfnEndpoint: string): void {
  Object.assign(process.env, {
    AWS_REGION: 'eu-west-2',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_ENDPOINT_URL_DYNAMODB: dynamoEndpoint,
    AWS_ENDPOINT_URL_SFN: sfnEndpoint,
    AREA_SLUG: 'south-yorkshire',
    [journeysTable.envVar]: tableName('south-yorkshire', journeysTable),
  });
}

describe('restart', () => {
  it('after SIGKILL, journeys waiting on a task wait again and finish when it is completed', { timeout: 240_000 }, async () => {
    const dataDir = tempDir();
    const first = await startProcess(dataDir, await freePort());
    const post = async (body: unknown) => {
      const res = await fetch(`${first.api}/v1/referrals`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...demoAuth(dataDir) },
        body: JSON.stringify(body),
      });
      expect(res.status).toBe(202);
      return ((await res.json()) as { referralId: string }).referralId;
    };
    const contact = await post(referralForNewPerson());
    const review = await post(referralForNewPerson({ needs: { complexNeeds: true } }));
    await until(async () => ((await statusOf(first.api, contact, demoAuth(dataDir))) === 'awaiting_first_contact' ? true : undefined), 'first contact task');
    await until(async () => ((await statusOf(first.api, review, demoAuth(dataDir))) === 'needs_review' ? true : undefined), 'review task');

    killGroup(first.child);
    await new Promise((r) => first.child.once('exit', r));

    const second = await startProcess(dataDir, await freePort());
    expect(second.output.join('\n')).toContain('resumed 2 journey(s)');
    expect(await statusOf(second.api, contact, demoAuth(dataDir))).toBe('awaiting_first_contact');

    pointStoreAt(second.dynamoEndpoint, second.sfnEndpoint);
    const sfn = new SFNClient({ endpoint: second.sfnEndpoint, region: 'eu-west-2', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    try {
      // The answers go the way a coach's do: through the task completion service.
      const complete = async (referralId: string, type: 'first_contact' | 'needs_review', result: unknown) => {
        const [task] = await listTasks(referralId, type);
        await completeTask({ referralId, taskId: task!.taskId, result, completedBy: 'coach' });
      };
      await complete(contact, 'first_contact', results.firstContact('declined'));
      await complete(review, 'needs_review', results.review('eligible'));
      await until(async () => ((await statusOf(second.api, contact, demoAuth(dataDir))) === 'withdrawn' ? true : undefined), 'declined');
      await until(async () => ((await statusOf(second.api, review, demoAuth(dataDir))) === 'awaiting_first_contact' ? true : undefined), 'review admitted');

      const arn = (name: string) => `arn:aws:states:eu-west-2:000000000000:execution:WorkWell-south-yorkshire-journey:${name}`;
      // The status is written a step before the journey ends: wait for the end itself.
      const done = await until(async () => {
        const execution = await sfn.send(new DescribeExecutionCommand({ executionArn: arn(contact) }));
        return execution.status === 'RUNNING' ? undefined : execution;
      }, 'journey ended');
      expect(done.status).toBe('SUCCEEDED');
      const all = await sfn.send(new ListExecutionsCommand({ stateMachineArn: arn('x').replace(':execution:', ':stateMachine:').replace(/:x$/, '') }));
      expect(all.executions?.map((e) => e.name).sort()).toEqual([contact, review].sort());
      // Replay answered finished steps from the journal: triage ran once per referral.
      const triaged = (await listTimeline(contact)).filter((e) => e.event === 'triaged');
      expect(triaged).toHaveLength(1);
    } finally {
      sfn.destroy();
      killGroup(second.child);
    }
  });
});
