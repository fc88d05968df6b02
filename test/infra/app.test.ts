import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { afterAll, describe, expect, it } from 'vitest';
import { areaSlugs, loadArea } from '../../areas/index.ts';
import { AreaStack } from '../../infra/area-stack.ts';
import { buildApp } from '../../infra/build-app.ts';

const outdir = mkdtempSync(path.join(tmpdir(), 'workwell-app-test-'));
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

function stacksOf(app: ReturnType<typeof buildApp>): Stack[] {
  return app.node.children.filter((c): c is Stack => Stack.isStack(c));
}

describe('CDK app', () => {
  it('has exactly one stack per pilot area, named WorkWell-<slug>', { timeout: 60_000 }, () => {
    const stacks = stacksOf(buildApp({ bundle: false, outdir }));
    expect(areaSlugs).toHaveLength(15);
    expect(stacks.map((s) => s.stackName).sort()).toEqual(areaSlugs.map((s) => `WorkWell-${s}`).sort());
    for (const stack of stacks) {
      const area = loadArea(stack.stackName.replace(/^WorkWell-/, ''));
      expect(stack.region).toBe(area.aws.region);
    }
  });

  it('builds only the areas asked for', { timeout: 30_000 }, () => {
    const stacks = stacksOf(buildApp({ areas: ['south-yorkshire'], bundle: false, outdir }));
    expect(stacks.map((s) => s.stackName)).toEqual(['WorkWell-south-yorkshire']);
  });

  it('takes the area from the `area` context (cdk -c area=<slug>)', { timeout: 30_000 }, () => {
    const saved = process.env.CDK_CONTEXT_JSON;
    process.env.CDK_CONTEXT_JSON = JSON.stringify({ area: 'frimley' });
    try {
      const stacks = stacksOf(buildApp({ bundle: false, outdir }));
      expect(stacks.map((s) => s.stackName)).toEqual(['WorkWell-frimley']);
    } finally {
      if (saved === undefined) delete process.env.CDK_CONTEXT_JSON;
      else process.env.CDK_CONTEXT_JSON = saved;
    }
  });

  // The CLI hands cdk.json's context to the app; tests would not see a bad flag otherwise.
  it('accepts the context in cdk.json', { timeout: 30_000 }, () => {
    const cdkJson = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8'));
    const saved = process.env.CDK_CONTEXT_JSON;
    process.env.CDK_CONTEXT_JSON = JSON.stringify({ ...cdkJson.context, area: 'south-yorkshire' });
    try {
      expect(stacksOf(buildApp({ bundle: false, outdir })).map((s) => s.stackName)).toEqual(['WorkWell-south-yorkshire']);
    } finally {
      if (saved === undefined) delete process.env.CDK_CONTEXT_JSON;
      else process.env.CDK_CONTEXT_JSON = saved;
    }
  });

  it('rejects an unknown area, listing the known ones', () => {
    expect(() => buildApp({ areas: ['atlantis'], bundle: false, outdir })).toThrow(
      /Unknown area "atlantis"\. Known areas: .*south-yorkshire/,
    );
  });

  it('refuses an area whose e-mail channel the stack cannot deliver through yet, naming the field', { timeout: 30_000 }, () => {
    const app = new App({ outdir, postCliContext: { 'aws:cdk:bundling-stacks': [] } });
    const area = { ...loadArea('frimley'), notifications: { channel: 'notify' as const, from: 'workwell@frimley.example' } };
    expect(() => new AreaStack(app, 'WorkWell-frimley', { area })).toThrow(/areas\/frimley\.json: notifications\.channel/);
  });
});
