import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, HIPAASecurityChecks } from 'cdk-nag';
import { areaSlugs, InvalidAreaSettings, loadArea } from '../areas/index.ts';
import { AreaStack, areaStackName } from './area-stack.ts';
import { acknowledgeNagFindings } from './nag-acknowledgements.ts';

export interface BuildAppOptions {
  /** Areas to build; default: the `area` context (`-c area=a,b`), else all of them. */
  readonly areas?: string[];
  /** false: skip esbuild (fast synth for tests and the local runtime). Default: as the CLI asks. */
  readonly bundle?: boolean;
  readonly outdir?: string;
  /**
   * false: leave out infra/nag-acknowledgements.ts (tests prove each one is needed). The nag
   * packs run at synth either way, so synth fails on any unacknowledged finding.
   */
  readonly acknowledgeNagFindings?: boolean;
}

/** The cdk-nag rule packs every area stack is checked against at synth. */
export function nagPacks(): (AwsSolutionsChecks | HIPAASecurityChecks)[] {
  return [new AwsSolutionsChecks(undefined, { verbose: true }), new HIPAASecurityChecks(undefined, { verbose: true })];
}

/** The CDK app: one stack per selected pilot area. */
export function buildApp(opts: BuildAppOptions = {}): App {
  const app = new App({
    ...(opts.outdir ? { outdir: opts.outdir } : {}),
    // postCliContext wins over the CLI's own choice of stacks to bundle.
    ...(opts.bundle === false ? { postCliContext: { 'aws:cdk:bundling-stacks': [] } } : {}),
    ...(opts.bundle === true ? { postCliContext: { 'aws:cdk:bundling-stacks': ['**'] } } : {}),
  });
  for (const slug of selectAreas(app, opts.areas)) {
    const area = loadArea(slug);
    const stack = new AreaStack(app, areaStackName(slug), { area });
    if (opts.acknowledgeNagFindings !== false) acknowledgeNagFindings(stack, area);
  }
  // Synth (the CLI's and the tests') fails on any finding not acknowledged.
  Validations.of(app).addPlugins(...nagPacks());
  return app;
}

function selectAreas(app: App, requested: string[] | undefined): readonly string[] {
  const fromContext: unknown = app.node.tryGetContext('area');
  const slugs =
    requested ??
    (typeof fromContext === 'string' && fromContext.trim() !== ''
      ? fromContext.split(',').map((s) => s.trim()).filter(Boolean)
      : [...areaSlugs]);
  const unknown = slugs.filter((s) => !(areaSlugs as readonly string[]).includes(s) && !isRegistered(s));
  if (unknown.length > 0) {
    throw new InvalidAreaSettings(`Unknown area ${unknown.map((s) => `"${s}"`).join(', ')}. Known areas: ${areaSlugs.join(', ')}`);
  }
  return slugs;
}

/** Areas registered in this process (tests, local trials) synthesize like pilot areas. */
function isRegistered(slug: string): boolean {
  try {
    loadArea(slug);
    return true;
  } catch {
    return false;
  }
}

/** CloudFormation template of one area's stack, synthesized without bundling. */
export function synthAreaTemplate(slug: string): Record<string, any> {
  const outdir = mkdtempSync(path.join(tmpdir(), 'workwell-synth-'));
  try {
    const assembly = buildApp({ areas: [slug], bundle: false, outdir }).synth();
    return assembly.getStackByName(areaStackName(slug)).template as Record<string, any>;
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}
