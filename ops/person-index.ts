/**
 * `npm run person-index -- <command> --area <slug> [options]`: the person index's keys
 * (functions/shared/person-index-key.ts), against a deployed stack (`--person-index-secret <arn>`,
 * the stack's PersonIndexKeySecret) or the local runtime (`--endpoint` and `--secrets-endpoint`,
 * both printed by `npm start`).
 *
 *   status                 the key versions in the ring and how many index items each has
 *   rotate                 adds a new key as `next`: every lookup reads it, no write uses it yet
 *   activate               makes `next` current (refused until 10 minutes after rotate, so
 *                          every function reads it before any writes with it)
 *   rebuild                indexes every open journey under the current key, then removes the
 *                          items of older keys (refused until 10 minutes after activate, so no
 *                          function still writes under the old key); intake keeps working
 *   retire --version <kN>  removes an old key from the ring, once no index item uses it
 *
 * A rotation: rotate; 10 minutes; activate; 10 minutes; rebuild; status shows only the new
 * version; retire the old one. Prints versions and counts, never keys or hashes.
 */
import { randomBytes } from 'node:crypto';
import { forgetKeyRing, keyRing, saveKeyRing } from '../functions/shared/person-index-key.ts';
import { indexItemsByVersion, KEY_SETTLE_MS, KeyNotSettled, rebuildPersonIndex } from '../functions/shared/person-index-rotation.ts';
import { table } from './table.ts';
import { connectToArea, describeFailure as describeOpsFailure, parseCommand, runIfMain, UsageError } from './context.ts';

const commands = ['status', 'rotate', 'activate', 'rebuild', 'retire'] as const;

function usage(): string {
  return [
    'usage: npm run person-index -- <command> --area <slug> [--endpoint <url> --secrets-endpoint <url>] [--person-index-secret <arn>]',
    '  status                  key versions and index items per version',
    '  rotate                  add a new key as next (read by lookups, not yet written)',
    '  activate                make the next key current (10 minutes after rotate)',
    '  rebuild                 index every open journey under the current key; remove older keys\' items (10 minutes after activate)',
    '  retire --version <kN>   remove an old key once no index item uses it',
  ].join('\n');
}

export async function main(argv: readonly string[]): Promise<number> {
  const parsed = parseCommand(argv, commands, usage(), { version: { type: 'string' } });
  if (!parsed) return 0;
  const { command, values } = parsed;
  const area = connectToArea(parsed.connection, usage());
  forgetKeyRing();
  const ring = await keyRing();

  if (command === 'status') {
    const counts = await indexItemsByVersion();
    const rows = [...new Set([...ring.keys.keys(), ...counts.keys()])].map((version) => ({
      version,
      indexItems: counts.get(version) ?? 0,
      state: version === ring.current ? 'current' : version === ring.next ? 'next (read, not yet written)' : ring.keys.has(version) ? 'still read' : 'no key (rebuild removes them)',
    }));
    if (parsed.json) {
      console.log(JSON.stringify({ area: area.slug, current: ring.current, versions: rows }, null, 2));
      return 0;
    }
    console.log(`${area.slug}: current key ${ring.current}`);
    console.log(
      table(rows, [
        { header: 'Key version', value: (r) => r.version },
        { header: 'Index items', value: (r) => r.indexItems, align: 'right' },
        { header: 'State', value: (r) => r.state },
      ]),
    );
    return 0;
  }
  const now = new Date();
  if (command === 'rotate') {
    if (ring.next) throw new UsageError(`Key ${ring.next} is already waiting to become current: run activate.`);
    const next = `k${Math.max(...[...ring.keys.keys()].map((v) => Number(v.slice(1)))) + 1}`;
    await saveKeyRing({ ...ring, keys: new Map([...ring.keys, [next, randomBytes(32).toString('base64url')]]), next, nextAddedAt: now.toISOString() });
    console.log(`${area.slug}: key ${next} added; lookups read it, writes still use ${ring.current}. In 10 minutes, run activate.`);
    return 0;
  }
  if (command === 'activate') {
    if (!ring.next || !ring.nextAddedAt) throw new UsageError('No key is waiting: run rotate first.');
    if (now.getTime() - Date.parse(ring.nextAddedAt) < KEY_SETTLE_MS) {
      throw new UsageError(`Key ${ring.next} was added at ${ring.nextAddedAt}: functions may not all read it yet. Activate 10 minutes after rotate.`);
    }
    const { next: current, nextAddedAt: _added, ...rest } = ring;
    await saveKeyRing({ ...rest, current, activatedAt: now.toISOString() });
    console.log(`${area.slug}: key ${current} is now current; ${ring.current} is still read. In 10 minutes, run rebuild.`);
    return 0;
  }
  if (command === 'rebuild') {
    let result;
    try {
      result = await rebuildPersonIndex(now);
    } catch (error) {
      if (error instanceof KeyNotSettled) throw new UsageError(error.message);
      throw error;
    }
    console.log(
      `${area.slug}: ${result.journeysReindexed} open journey(s) indexed under ${result.keyVersion} ` +
        `(${result.journeysAlreadyCurrent} already were); ${result.oldItemsRemoved} item(s) of older keys removed.`,
    );
    return 0;
  }
  const version = values.version;
  if (!version || !ring.keys.has(version)) throw new UsageError(`retire needs --version with a key in the ring: ${[...ring.keys.keys()].join(', ')}`);
  if (version === ring.current || version === ring.next) throw new UsageError(`${version} is the current or next key: only an old key can be retired.`);
  const inUse = (await indexItemsByVersion()).get(version) ?? 0;
  if (inUse > 0) throw new UsageError(`${inUse} index item(s) still use ${version}: run rebuild first.`);
  await saveKeyRing({ ...ring, keys: new Map([...ring.keys].filter(([v]) => v !== version)) });
  console.log(`${area.slug}: key ${version} retired; the ring holds ${[...ring.keys.keys()].filter((v) => v !== version).join(', ')}.`);
  return 0;
}

export const describeFailure = (error: unknown) => describeOpsFailure(error, usage(), 'person index command');

await runIfMain(import.meta.filename, main, describeFailure);
