import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { writeFileAtomically } from './files.ts';

/**
 * The local stand-in for AWS Secrets Manager: the JSON 1.1 protocol's GetSecretValue and
 * PutSecretValue, so functions and operator commands use the real @aws-sdk/client-secrets-manager
 * (AWS_ENDPOINT_URL_SECRETS_MANAGER) and never know where they run. Secrets live in memory, and
 * with a data folder in `<dataDir>/secrets/<name>.json`, readable by the owner only.
 */
export interface LocalSecretsManager {
  readonly endpoint: string;
  /** Creates the secret with `initial()` unless it exists; returns its id (its name). */
  ensure(name: string, initial: () => string): string;
  stop(): Promise<void>;
}

const NAME = /^[A-Za-z0-9/_+=.@-]{1,512}$/;

/** A fresh key ring for the person index (functions/shared/person-index-key.ts). */
export const newPersonIndexKeyRing = () => JSON.stringify({ current: 'k1', k1: randomBytes(32).toString('base64url') });

export async function startLocalSecretsManager(opts: { dataDir?: string; port?: number } = {}): Promise<LocalSecretsManager> {
  const dir = opts.dataDir ? join(opts.dataDir, 'secrets') : undefined;
  const memory = new Map<string, string>();
  const fileOf = (name: string) => join(dir!, `${encodeURIComponent(name)}.json`);
  const read = (name: string): string | undefined => {
    if (memory.has(name)) return memory.get(name);
    if (dir && existsSync(fileOf(name))) memory.set(name, readFileSync(fileOf(name), 'utf8'));
    return memory.get(name);
  };
  const write = (name: string, value: string) => {
    memory.set(name, value);
    if (dir) {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      writeFileAtomically(fileOf(name), value, { mode: 0o600 });
    }
  };
  const arn = (name: string) => `arn:aws:secretsmanager:eu-west-2:000000000000:secret:${name}`;

  const server: Server = createServer((req, res) => void answer(req, res));
  async function answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const reply = (status: number, body: unknown, errorType?: string) => {
      res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', ...(errorType ? { 'x-amzn-errortype': errorType } : {}) });
      res.end(JSON.stringify(errorType ? { __type: errorType, message: body } : body));
    };
    let input: { SecretId?: unknown; SecretString?: unknown };
    try {
      input = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as typeof input;
    } catch {
      return reply(400, 'The request body is not JSON.', 'InvalidRequestException');
    }
    const action = String(req.headers['x-amz-target'] ?? '').replace(/^secretsmanager\./, '');
    const id = typeof input.SecretId === 'string' ? input.SecretId.replace(/^arn:aws:secretsmanager:[^:]*:[^:]*:secret:/, '') : '';
    if (!NAME.test(id)) return reply(400, 'SecretId is not valid.', 'ValidationException');
    if (read(id) === undefined) return reply(400, "Secrets Manager can't find the specified secret.", 'ResourceNotFoundException');
    if (action === 'GetSecretValue') {
      return reply(200, { ARN: arn(id), Name: id, SecretString: read(id), VersionId: randomUUID(), VersionStages: ['AWSCURRENT'], CreatedDate: Date.now() / 1000 });
    }
    if (action === 'PutSecretValue') {
      if (typeof input.SecretString !== 'string' || !input.SecretString) return reply(400, 'SecretString is required.', 'InvalidParameterException');
      write(id, input.SecretString);
      return reply(200, { ARN: arn(id), Name: id, VersionId: randomUUID(), VersionStages: ['AWSCURRENT'] });
    }
    return reply(400, `${action || 'The operation'} is not supported locally.`, 'UnknownOperationException');
  }

  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve((server.address() as { port: number }).port));
  });
  return {
    endpoint: `http://127.0.0.1:${port}`,
    ensure(name, initial) {
      if (read(name) === undefined) write(name, initial());
      return name;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
