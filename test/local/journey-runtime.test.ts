import { DescribeExecutionCommand, SendTaskSuccessCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadArea } from '../../areas/index.ts';
import { findOpenTask, getReferral, taskTokenOf } from '../../functions/shared/referral-store.ts';
import { journeyStates } from '../../workflows/states.ts';
import { referralForNewPerson } from '../fixtures/referrals.ts';
import { HOUR, startTestRuntime, type TestRuntime } from '../support/runtime.ts';

/**
 * The synthesized journey state machine, run by the local runtime over DynamoDB Local with the
 * real handlers: referrals posted over HTTP, tasks completed through the Step Functions API.
 */
let rt: TestRuntime;
const area = loadArea('south-yorkshire');

beforeAll(async () => {
  rt = await startTestRuntime('south-yorkshire');
});
afterAll(async () => {
  await rt?.stop();
});

async function refer(overrides: Parameters<typeof referralForNewPerson>[0] = {}): Promise<string> {
  const res = await rt.postReferral(referralForNewPerson(overrides));
  expect(res.status).toBe(202);
  const body = (await res.json()) as { referralId: string };
  await rt.engine.idle();
  return body.referralId;
}

async function execution(referralId: string) {
  return rt.sfn.send(new DescribeExecutionCommand({ executionArn: `${rt.stateMachineArn.replace(':stateMachine:', ':execution:')}:${referralId}` }));
}

async function completeTask(referralId: string, type: 'first_contact' | 'needs_review', output: unknown) {
  const task = await findOpenTask(referralId, type);
  expect(task, `an open ${type} task`).toBeDefined();
  const token = await taskTokenOf(referralId, task!.taskId);
  await rt.sfn.send(new SendTaskSuccessCommand({ taskToken: token!, output: JSON.stringify(output) }));
  await rt.engine.idle();
  return token!;
}

describe('journey on the local runtime', () => {
  it('serves health and answers unknown routes with problem+json', async () => {
    const health = await fetch(`${rt.gatewayUrl}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok', area: 'south-yorkshire' });
    const missing = await fetch(`${rt.gatewayUrl}/v1/nothing`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toContain('application/problem+json');
  });

  it('takes a posted referral through triage to a first-contact task; the answer moves the journey on', async () => {
    const referralId = await refer();
    const status = await rt.referralStatus(referralId);
    expect(status.status).toBe(200);
    expect(await status.json()).toMatchObject({ referralId, status: 'awaiting_first_contact' });
    const ex = await execution(referralId);
    expect(ex.status).toBe('RUNNING');
    expect(ex.name).toBe(referralId);

    // The callback: the token the task holds, answered through the Step Functions API.
    const token = await completeTask(referralId, 'first_contact', { outcome: 'declined' });
    const done = await execution(referralId);
    expect(done.status).toBe('SUCCEEDED');
    expect((await getReferral(referralId))?.status).toBe('withdrawn');

    // A second answer to a used token is refused, never a second transition.
    await expect(
      rt.sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '{"outcome":"engaged"}' })),
    ).rejects.toMatchObject({ name: 'TaskTimedOut' });
    expect((await getReferral(referralId))?.status).toBe('withdrawn');
  });

  it('ends a not-eligible referral with signposting', async () => {
    const referralId = await refer({ participant: { postcode: 'SW1A 1AA' } });
    const ex = await execution(referralId);
    expect(ex.status).toBe('SUCCEEDED');
    expect(JSON.parse(ex.output!)).toMatchObject({ triage: { outcome: 'not_eligible' } });
    const referral = await getReferral(referralId);
    expect(referral?.status).toBe('not_eligible');
  });

  it('a late answer after the time-out is refused and changes nothing', async () => {
    const referralId = await refer();
    const task = await findOpenTask(referralId, 'first_contact');
    const token = await taskTokenOf(referralId, task!.taskId);
    // Past the task's deadline (moved to working hours when it would fall outside them).
    await rt.advance(Date.parse(task!.dueAt) - rt.clock.now() + 1000);
    await expect(
      rt.sfn.send(new SendTaskSuccessCommand({ taskToken: token!, output: '{"outcome":"engaged"}' })),
    ).rejects.toMatchObject({ name: 'TaskTimedOut' });
    expect((await getReferral(referralId))?.status).not.toBe('engaged');
  });

  it('StartExecution is idempotent by name: same input returns the same execution, other input is refused', async () => {
    const referralId = await refer();
    const arn = (await execution(referralId)).executionArn;
    const again = await rt.sfn.send(
      new StartExecutionCommand({ stateMachineArn: rt.stateMachineArn, name: referralId, input: JSON.stringify({ referralId }) }),
    );
    expect(again.executionArn).toBe(arn);
    await expect(
      rt.sfn.send(new StartExecutionCommand({ stateMachineArn: rt.stateMachineArn, name: referralId, input: '{"referralId":"other"}' })),
    ).rejects.toMatchObject({ name: 'ExecutionAlreadyExists' });
  });

  it('sends a referral needing review to the team lead, then on to first contact', async () => {
    const referralId = await refer({ needs: { complexNeeds: true } });
    expect((await getReferral(referralId))?.status).toBe('needs_review');
    await completeTask(referralId, 'needs_review', { outcome: 'eligible' });
    expect((await getReferral(referralId))?.status).toBe('awaiting_first_contact');
    expect(journeyStates.firstContact).toBe('FirstContact');
  });
});
