import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local service provider's referral endpoint on 127.0.0.1: it records what it receives and
 * can be told to fail, so tests see real HTTP between the journey and a provider.
 */
export interface ReceivedReferral {
  readonly path: string;
  readonly body: {
    onwardReferralId: string;
    chase: boolean;
    respondTo: { url: string; key: string };
    [field: string]: unknown;
  };
}

export interface LocalProvider {
  readonly baseUrl: string;
  readonly received: ReceivedReferral[];
  /** Answers with 500 for the next `n` requests. */
  failNext(n: number): void;
  /** Never answers the next `n` requests (the caller's time-out ends them). */
  stallNext(n: number): void;
  /** Requests that got a 500 or no answer. */
  readonly refused: { failed: number; stalled: number };
  stop(): Promise<void>;
}

function read(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

export async function startLocalProvider(): Promise<LocalProvider> {
  const received: ReceivedReferral[] = [];
  let failures = 0;
  let stalls = 0;
  const refused = { failed: 0, stalled: 0 };
  const server: Server = createServer(async (req, res) => {
    const text = await read(req);
    if (stalls > 0) {
      stalls--;
      refused.stalled++;
      return;
    }
    if (failures > 0) {
      failures--;
      refused.failed++;
      res.writeHead(500).end();
      return;
    }
    received.push({ path: req.url ?? '', body: JSON.parse(text) });
    res.writeHead(202, { 'content-type': 'application/json' }).end('{"received":true}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    received,
    refused,
    failNext: (n) => {
      failures = n;
    },
    stallNext: (n) => {
      stalls = n;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
