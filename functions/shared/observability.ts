import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import type { MiddlewareObj, Request } from '@middy/core';

/**
 * Powertools logger, metrics and tracer, created at first use so that the service name and
 * namespace come from the environment as it is when the first invocation runs
 * (POWERTOOLS_SERVICE_NAME, POWERTOOLS_METRICS_NAMESPACE, POWERTOOLS_LOG_LEVEL).
 *
 * Personal and health data never goes to logs, metrics or traces: log through `logSafe`,
 * which only accepts ids and codes, and describe errors with `errorFields` (name only).
 * Events and responses are never logged or captured.
 */
interface Observability {
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly tracer: Tracer;
}

let instances: Observability | undefined;

export function observability(): Observability {
  if (!instances) {
    const serviceName = process.env.POWERTOOLS_SERVICE_NAME || 'workwell';
    instances = {
      logger: new Logger({ serviceName }),
      metrics: new Metrics({
        serviceName,
        namespace: process.env.POWERTOOLS_METRICS_NAMESPACE || 'WorkWell',
      }),
      tracer: new Tracer({ serviceName }),
    };
  }
  return instances;
}

export { MetricUnit };

/** Count one occurrence of a metric (no dimensions that could carry personal data). */
export function countMetric(name: string, value = 1): void {
  observability().metrics.addMetric(name, MetricUnit.Count, value);
}

/** Record a level (a count of things now, not of events): alarms read its maximum. */
export function gaugeMetric(name: string, value: number): void {
  observability().metrics.addMetric(name, MetricUnit.Count, value);
}

/**
 * Middy middleware: Powertools logger context (injectLambdaContext, never logging the event),
 * metrics publishing (EMF, only when something was counted) and tracing (responses never
 * captured), built lazily at the first invocation.
 */
export function observed(): MiddlewareObj {
  let chain: MiddlewareObj[] | undefined;
  const middlewares = (): MiddlewareObj[] => {
    if (!chain) {
      const { logger, metrics, tracer } = observability();
      chain = [
        injectLambdaContext(logger, { logEvent: false, resetKeys: true }) as MiddlewareObj,
        publishMetrics(metrics),
        captureLambdaHandler(tracer, { captureResponse: false }) as MiddlewareObj,
      ];
    }
    return chain;
  };
  const run = async (phase: 'before' | 'after' | 'onError', request: Request): Promise<void> => {
    const list = phase === 'before' ? middlewares() : [...middlewares()].reverse();
    for (const middleware of list) await middleware[phase]?.(request);
  };
  return {
    before: (request) => run('before', request),
    after: (request) => run('after', request),
    onError: (request) => run('onError', request),
  };
}

/** Publishes stored metrics after each invocation; quiet when the invocation counted nothing. */
function publishMetrics(metrics: Metrics): MiddlewareObj {
  const publish = () => {
    if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
  };
  return { after: publish, onError: publish };
}

/** Fields that may be logged: identifiers and codes only, never names, contact or health detail. */
export interface SafeLogFields {
  readonly referralId?: string;
  readonly taskId?: string;
  readonly taskType?: string;
  readonly status?: string;
  readonly stage?: string;
  readonly outcome?: string;
  readonly reason?: string;
  readonly priority?: string;
  readonly attempt?: number;
  readonly httpStatus?: number;
  readonly errorName?: string;
  readonly code?: string;
}

const safeKeys = new Set<string>([
  'referralId',
  'taskId',
  'taskType',
  'status',
  'stage',
  'outcome',
  'reason',
  'priority',
  'attempt',
  'httpStatus',
  'errorName',
  'code',
]);
const codePattern = /^[A-Za-z0-9_.:#-]{1,128}$/;

/** Keep only allowed keys whose values look like ids or codes; anything else is redacted. */
export function safeFields(fields: SafeLogFields): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  for (const [key, value] of Object.entries(fields)) {
    if (!safeKeys.has(key) || value === undefined) continue;
    if (typeof value === 'number' && Number.isFinite(value)) out[key] = value;
    else if (typeof value === 'string') out[key] = codePattern.test(value) ? value : '[redacted]';
  }
  return out;
}

/** A failed fetch described by its network code (ECONNREFUSED, ...), else its name: messages may quote the address. */
export function networkErrorCode(error: unknown): string {
  const code = (error as { cause?: { code?: unknown } })?.cause?.code;
  return typeof code === 'string' && /^[A-Z0-9_]{1,40}$/.test(code) ? code : errorFields(error).errorName;
}

/** Describe an error by its name only: messages may quote input. */
export function errorFields(error: unknown): { errorName: string } {
  const name = error instanceof Error ? error.name : typeof error;
  return { errorName: codePattern.test(name) ? name : 'Error' };
}

/** Log a fixed message with ids and codes only. */
export function logSafe(
  level: 'debug' | 'info' | 'warn' | 'error',
  message: string,
  fields: SafeLogFields = {},
): void {
  observability().logger[level](message, safeFields(fields));
}
