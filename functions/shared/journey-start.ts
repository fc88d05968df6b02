import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { requiredEnv, sfn } from './aws-clients.ts';

/**
 * Starts a referral's journey execution through the state machine's alias (JOURNEY_ALIAS_ARN),
 * never the bare state machine: the execution then runs to its end on the version the alias
 * pointed at, which is the version the last deploy published (README: upgrades).
 */
export async function startJourneyExecution(name: string, referralId: string): Promise<void> {
  await sfn().send(
    new StartExecutionCommand({ stateMachineArn: requiredEnv('JOURNEY_ALIAS_ARN'), name, input: JSON.stringify({ referralId }) }),
  );
}
