import type { Server } from 'node:http';
import * as sesLocal from 'aws-ses-v2-local';
import { freePort } from './ports.ts';

/**
 * The local mailbox: aws-ses-v2-local serves the SES v2 API (handlers reach it through
 * AWS_ENDPOINT_URL_SESV2) and a web page listing every message it received (open `url` in a
 * browser). Messages are kept in memory in this process only.
 */
export interface MailboxMessage {
  readonly messageId: string;
  readonly from: string;
  readonly destination: { readonly to: string[]; readonly cc: string[]; readonly bcc: string[] };
  readonly subject: string;
  readonly body: { readonly text?: string; readonly html?: string };
  readonly headers?: { readonly name: string; readonly value: string }[];
  /** When it arrived (epoch seconds, on the runtime's clock). */
  readonly at: number;
}

export interface LocalMailbox {
  /** The mailbox's web page, and the SES endpoint. */
  readonly url: string;
  /** Every message received so far (optionally only those to `to`), oldest first. */
  messages(to?: string): Promise<MailboxMessage[]>;
  /** Forgets every message. */
  clear(): Promise<void>;
  stop(): Promise<void>;
}

type StartServer = (config?: { host?: string; port?: number }) => Promise<Server>;

/** The package is CommonJS with a default export; reach the function however it is loaded. */
function serverFunction(): StartServer {
  const mod = sesLocal as unknown as { default?: StartServer | { default?: StartServer } };
  const candidate = typeof mod.default === 'function' ? mod.default : mod.default?.default;
  if (typeof candidate !== 'function') throw new Error('aws-ses-v2-local has no server function');
  return candidate;
}

export async function startMailbox(port?: number): Promise<LocalMailbox> {
  const chosen = port || (await freePort());
  const server = await serverFunction()({ host: '127.0.0.1', port: chosen });
  if (!server.listening) await new Promise<void>((resolve, reject) => {
    server.once('listening', () => resolve());
    server.once('error', reject);
  });
  return connectMailbox(`http://127.0.0.1:${chosen}`, () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  );
}

/**
 * A mailbox that runs elsewhere (`npm start -- --mail-endpoint <url>`): one that outlives the
 * runtime, so what was sent is still there after a crash. Stopping the runtime leaves it running.
 */
export function connectMailbox(url: string, stop: () => Promise<void> = async () => {}): LocalMailbox {
  return {
    url,
    messages: async (to?: string) => {
      const response = await fetch(`${url}/store`);
      if (!response.ok) throw new Error(`mailbox answered ${response.status}`);
      const { emails } = (await response.json()) as { emails: MailboxMessage[] };
      return to ? emails.filter((e) => e.destination.to.includes(to)) : emails;
    },
    clear: async () => {
      await fetch(`${url}/clear-store`, { method: 'POST' });
    },
    stop,
  };
}
