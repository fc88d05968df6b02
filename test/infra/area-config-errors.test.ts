import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../infra/functions.ts';

const run = promisify(execFile);

/**
 * What an operator sees when an area file is wrong: `npx cdk synth` run for real on a copy of
 * the project with one area file broken, and the message naming the file and the field.
 */
describe('cdk synth with a wrong area setting', () => {
  let copy: string;

  beforeAll(() => {
    copy = mkdtempSync(path.join(tmpdir(), 'workwell-bad-area-'));
    for (const entry of ['package.json', 'tsconfig.json', 'cdk.json', 'areas', 'functions', 'infra', 'workflows']) {
      cpSync(path.join(repoRoot, entry), path.join(copy, entry), { recursive: true });
    }
    symlinkSync(path.join(repoRoot, 'node_modules'), path.join(copy, 'node_modules'));
  });
  afterAll(() => rmSync(copy, { recursive: true, force: true }));

  function breakArea(slug: string, change: (settings: Record<string, any>) => void): void {
    const file = path.join(copy, 'areas', `${slug}.json`);
    const settings = JSON.parse(readFileSync(path.join(repoRoot, 'areas', `${slug}.json`), 'utf8'));
    change(settings);
    writeFileSync(file, JSON.stringify(settings, null, 2));
  }

  async function synth(slug: string): Promise<{ code: number; output: string }> {
    try {
      const { stdout, stderr } = await run('npx', ['cdk', 'synth', '--quiet', '-c', `area=${slug}`], {
        cwd: copy,
        env: { ...process.env, CDK_DISABLE_VERSION_CHECK: 'true' },
        timeout: 120_000,
      });
      return { code: 0, output: stdout + stderr };
    } catch (error) {
      const failed = error as { code?: number; stdout?: string; stderr?: string };
      return { code: failed.code ?? 1, output: `${failed.stdout ?? ''}${failed.stderr ?? ''}` };
    }
  }

  it('fails, naming the file and every wrong field', { timeout: 150_000 }, async () => {
    breakArea('frimley', (settings) => {
      settings.deadlines.assessmentHours = -4;
      settings.operations.alarmEmails = ['not an address'];
    });
    const { code, output } = await synth('frimley');
    expect(code).not.toBe(0);
    expect(output).toContain('areas/frimley.json');
    expect(output).toContain('deadlines.assessmentHours');
    expect(output).toContain('operations.alarmEmails.0');
    expect(output).not.toMatch(/^\s+at /m); // a message for an operator, not a stack trace
  });

  it('fails on settings that contradict each other, naming the field', { timeout: 150_000 }, async () => {
    breakArea('south-yorkshire', (settings) => {
      settings.coaches[0].teamLeadId = 'nobody';
      settings.partners.push({ ...settings.partners[0] });
    });
    const { code, output } = await synth('south-yorkshire');
    expect(code).not.toBe(0);
    expect(output).toContain('areas/south-yorkshire.json');
    expect(output).toContain('coaches.0.teamLeadId: no team lead "nobody"');
    expect(output).toMatch(/partners\.id: duplicate values \S+/);
  });

  it('names the known areas when asked for an unknown one', { timeout: 150_000 }, async () => {
    const { code, output } = await synth('atlantis');
    expect(code).not.toBe(0);
    expect(output).toContain('Unknown area "atlantis"');
    expect(output).toContain('south-yorkshire');
  });
});
