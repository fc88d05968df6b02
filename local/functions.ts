import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Context } from 'aws-lambda';
import { type FunctionDefinition, functionCatalogue, lambdaName } from '../functions/catalogue.ts';

/**
 * Runs the catalogue's handlers in this process, as Lambda would run them: the same module,
 * one event, a Lambda-shaped context, the function's time limit.
 */
export type Handler = (event: unknown, context: Context) => Promise<unknown>;

const repoRoot = join(import.meta.dirname, '..');

export class LocalFunctions {
  private readonly handlers = new Map<string, Promise<Handler>>();
  private readonly byLambdaName = new Map<string, FunctionDefinition>();

  constructor(
    private readonly areaSlug: string,
    private readonly region: string,
  ) {
    for (const def of functionCatalogue) this.byLambdaName.set(lambdaName(areaSlug, def.name), def);
  }

  /** Loads every handler now, so the first request does not pay for it and a bad import fails start-up. */
  async loadAll(): Promise<void> {
    await Promise.all(functionCatalogue.map((def) => this.handler(def)));
  }

  /** Whether a function of this name exists here (an old definition may name one since removed). */
  has(lambdaFunctionName: string): boolean {
    return this.byLambdaName.has(lambdaFunctionName);
  }

  definition(lambdaFunctionName: string): FunctionDefinition {
    const def = this.byLambdaName.get(lambdaFunctionName);
    if (!def) {
      const error = new Error(`Function not found: ${lambdaFunctionName}`);
      error.name = 'Lambda.ResourceNotFoundException';
      throw error;
    }
    return def;
  }

  private handler(def: FunctionDefinition): Promise<Handler> {
    let loaded = this.handlers.get(def.name);
    if (!loaded) {
      loaded = import(pathToFileURL(join(repoRoot, def.entry)).href).then((mod: { handler?: Handler }) => {
        if (typeof mod.handler !== 'function') throw new Error(`${def.entry} exports no handler`);
        return mod.handler;
      });
      this.handlers.set(def.name, loaded);
    }
    return loaded;
  }

  /** Invokes a function by its Lambda name; a thrown error keeps its name as the error type. */
  async invoke(lambdaFunctionName: string, event: unknown): Promise<unknown> {
    const def = this.definition(lambdaFunctionName);
    const handler = await this.handler(def);
    const deadline = performance.now() + def.timeoutSeconds * 1000;
    const context: Context = {
      callbackWaitsForEmptyEventLoop: false,
      functionName: lambdaFunctionName,
      functionVersion: '$LATEST',
      invokedFunctionArn: `arn:aws:lambda:${this.region}:000000000000:function:${lambdaFunctionName}`,
      memoryLimitInMB: String(def.memoryMb),
      awsRequestId: randomUUID(),
      logGroupName: `/aws/lambda/${lambdaFunctionName}`,
      logStreamName: 'local',
      getRemainingTimeInMillis: () => Math.max(0, Math.round(deadline - performance.now())),
      done: () => {},
      fail: () => {},
      succeed: () => {},
    };
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const error = new Error(`Task timed out after ${def.timeoutSeconds} seconds`);
        error.name = 'Sandbox.Timedout';
        reject(error);
      }, def.timeoutSeconds * 1000);
    });
    try {
      // Lambda hands the handler a fresh copy of the event: no shared objects with the caller.
      return await Promise.race([handler(structuredClone(event), context), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}
