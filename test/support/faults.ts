import { InternalServerError, ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import type { FinalizeHandler, FinalizeHandlerArguments, MetadataBearer } from '@smithy/types';
import { dynamo } from '../../functions/shared/aws-clients.ts';

/**
 * DynamoDB faults on the handlers' own SDK path: a middleware on the shared client
 * (functions/shared/aws-clients.ts) answers a seeded share of calls with
 * ProvisionedThroughputExceededException or InternalServerError instead of sending them. It
 * sits inside the SDK's retry middleware, so the SDK's own retries with backoff see each fault
 * as they would in AWS, and what they do not cure reaches the handler.
 */
export interface DynamoFaults {
  /** Calls (each SDK attempt) seen while active, and faults injected. */
  readonly counts: { calls: number; throttled: number; internal: number };
  /** Off while the test itself reads the tables; on by default. */
  active: boolean;
  remove(): void;
}

/** Mulberry32: a small seeded generator, so a run's faults can be replayed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const NAME = 'reliabilityFaultInjection';

export function injectDynamoFaults(opts: { share: number; seed: number }): DynamoFaults {
  const random = seededRandom(opts.seed);
  const faults: DynamoFaults = {
    counts: { calls: 0, throttled: 0, internal: 0 },
    active: true,
    remove: () => {
      dynamo().middlewareStack.remove(NAME);
    },
  };
  const middleware =
    <Output extends MetadataBearer>(next: FinalizeHandler<object, Output>) =>
    async (args: FinalizeHandlerArguments<object>) => {
      if (!faults.active) return next(args);
      faults.counts.calls++;
      const draw = random();
      if (draw < opts.share / 2) {
        faults.counts.throttled++;
        throw new ProvisionedThroughputExceededException({ message: 'injected throttling', $metadata: { httpStatusCode: 400 } });
      }
      if (draw < opts.share) {
        faults.counts.internal++;
        throw new InternalServerError({ message: 'injected internal error', $metadata: { httpStatusCode: 500 } });
      }
      return next(args);
    };
  dynamo().middlewareStack.addRelativeTo(middleware as never, { relation: 'after', toMiddleware: 'retryMiddleware', name: NAME, override: true });
  return faults;
}
