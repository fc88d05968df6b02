import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { App, Stack } from 'aws-cdk-lib';
import { areaSlugs, loadArea } from '../../../areas/index.ts';
import type { AreaSettings } from '../../../areas/schema.ts';
import { areaStackName } from '../../../infra/area-stack.ts';
import { buildApp } from '../../../infra/build-app.ts';

export interface AreaBuild {
  readonly slug: string;
  readonly area: AreaSettings;
  readonly app: App;
  readonly stack: Stack;
  /** The synthesized template (synth runs the nag packs and fails on any unacknowledged finding). */
  readonly template: Record<string, any>;
}

/** Every pilot area built and synthesized once, without bundling (as synthAreaTemplate does). */
export function buildAllAreas(opts: { readonly acknowledgeNagFindings?: boolean } = {}): AreaBuild[] {
  return areaSlugs.map((slug) => buildArea(slug, opts));
}

export function buildArea(slug: string, opts: { readonly acknowledgeNagFindings?: boolean; readonly synth?: boolean } = {}): AreaBuild {
  const outdir = mkdtempSync(path.join(tmpdir(), 'workwell-infra-test-'));
  try {
    const app = buildApp({ areas: [slug], bundle: false, outdir, ...opts });
    const stack = app.node.findChild(areaStackName(slug)) as Stack;
    const template =
      opts.synth === false ? {} : (app.synth().getStackByName(areaStackName(slug)).template as Record<string, any>);
    return { slug, area: loadArea(slug), app, stack, template };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

export function resourcesOfType(template: Record<string, any>, type: string): [string, any][] {
  return Object.entries<any>(template.Resources).filter(([, r]) => r.Type === type);
}

export interface PolicyStatementAt {
  /** Logical id of the resource holding the statement. */
  readonly holder: string;
  readonly statement: Record<string, any>;
}

/** Every statement of every policy in the template: IAM policies, roles' inline ones, resource policies. */
export function policyStatements(template: Record<string, any>): PolicyStatementAt[] {
  const out: PolicyStatementAt[] = [];
  for (const [id, r] of Object.entries<any>(template.Resources)) {
    const p = r.Properties ?? {};
    const documents = [
      p.PolicyDocument, // IAM::Policy, ManagedPolicy, SQS::QueuePolicy, SNS::TopicPolicy
      p.KeyPolicy,
      ...(r.Type === 'AWS::IAM::Role' ? (p.Policies ?? []).map((x: any) => x.PolicyDocument) : []),
    ].filter(Boolean);
    for (const doc of documents) for (const statement of doc.Statement ?? []) out.push({ holder: id, statement });
  }
  return out;
}

export const asList = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/**
 * A template value as text: own resources become <own:LogicalId>, pseudo parameters
 * <AWS::Name>, joins are joined. Anything else (an import from another stack) is kept visible.
 */
export function asText(value: unknown, template: Record<string, any>): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map((v) => asText(v, template)).join(',');
  if (value && typeof value === 'object') {
    const v = value as Record<string, any>;
    if ('Ref' in v) return v.Ref.startsWith('AWS::') ? `<${v.Ref}>` : own(v.Ref, template);
    if ('Fn::GetAtt' in v) return own(v['Fn::GetAtt'][0], template);
    if ('Fn::Join' in v) return v['Fn::Join'][1].map((p: unknown) => asText(p, template)).join(v['Fn::Join'][0]);
    return `<unresolved:${JSON.stringify(v)}>`;
  }
  return String(value);
}

function own(logicalId: string, template: Record<string, any>): string {
  return logicalId in template.Resources ? `<own:${logicalId}>` : `<foreign:${logicalId}>`;
}
