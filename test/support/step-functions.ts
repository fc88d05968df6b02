import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ManualClock } from '../../local/clock.ts';
import { LocalStepFunctions } from '../../local/stepfunctions/engine.ts';
import { handleStepFunctionsRequest } from '../../local/stepfunctions/endpoint.ts';

/**
 * The local Step Functions endpoint with a one-state machine, for handler tests that start
 * journeys but must not see them move on (the journey itself is tested in test/local).
 */
export interface LocalSfnEndpoint {
  readonly endpoint: string;
  readonly engine: LocalStepFunctions;
  stop(): Promise<void>;
}

export async function startHoldingStateMachine(stateMachineArn: string): Promise<LocalSfnEndpoint> {
  const clock = new ManualClock();
  const engine = new LocalStepFunctions({
    stateMachineArn,
    // Waits far beyond any test: executions stay RUNNING, as a journey waiting on people does.
    definition: { StartAt: 'Hold', States: { Hold: { Type: 'Wait', Seconds: 86_400, End: true } } },
    clock,
    invoke: () => Promise.reject(new Error('no functions in this state machine')),
  });
  const server = createServer((req, res) => handleStepFunctionsRequest([engine], req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    engine,
    stop: async () => {
      engine.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
