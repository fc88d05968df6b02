import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { describe, expect, it } from 'vitest';
import { areaStackName } from '../../infra/area-stack.ts';
import { buildApp, nagPacks } from '../../infra/build-app.ts';
import { nagAcknowledgements } from '../../infra/nag-acknowledgements.ts';
import { buildArea } from './support/area-builds.ts';

/**
 * The nag gate itself: every acknowledgement is needed (without them the packs report exactly
 * those findings), and a finding nobody acknowledged fails synth (`cdk synth` and the tests).
 */
const slug = 'frimley';

function findings(stack: Parameters<ReturnType<typeof nagPacks>[number]['validateScope']>[0]) {
  return nagPacks().flatMap((pack) => pack.validateScope(stack).violations);
}

describe('cdk-nag gate', () => {
  it('needs every acknowledgement: without them, each one names a real finding', { timeout: 60_000 }, () => {
    const { stack, area } = buildArea(slug, { acknowledgeNagFindings: false, synth: false });
    const violations = findings(stack);
    expect(violations.length).toBeGreaterThan(0);
    const acks = nagAcknowledgements(stack, area);
    expect(acks.length).toBeGreaterThan(20);
    for (const ack of acks) {
      const base = ack.path === '' ? stack.node.path : `${stack.node.path}/${ack.path}`;
      const matched = violations.some(
        (v) => v.ruleName === ack.id && v.violatingResources.some((r) => r.constructPath === base || (r.constructPath ?? '').startsWith(`${base}/`)),
      );
      expect(matched, `${ack.id} at ${ack.path || '(stack)'} acknowledges nothing`).toBe(true);
    }
    // ...and together they cover every finding (the same stack with them is clean).
    for (const v of violations) {
      for (const r of v.violatingResources) {
        const covered = acks.some(
          (a) => a.id === v.ruleName && (a.path === '' || r.constructPath === `${stack.node.path}/${a.path}` || (r.constructPath ?? '').startsWith(`${stack.node.path}/${a.path}/`)),
        );
        expect(covered, `${v.ruleName} at ${r.constructPath}`).toBe(true);
      }
    }
  });

  it('states a specific reason for each acknowledgement', { timeout: 60_000 }, () => {
    const { stack, area } = buildArea(slug, { synth: false });
    for (const ack of nagAcknowledgements(stack, area)) {
      expect(ack.reason.length, `${ack.id} at ${ack.path}`).toBeGreaterThan(60);
    }
  });

  it('fails synth on a finding nobody acknowledged (an unencrypted queue, an s3:* grant)', { timeout: 60_000 }, () => {
    const outdir = mkdtempSync(path.join(tmpdir(), 'workwell-nag-test-'));
    const app = buildApp({ areas: [slug], bundle: false, outdir });
    const stack = app.node.findChild(areaStackName(slug)) as Stack;
    new sqs.Queue(stack, 'CarelessQueue', { encryption: sqs.QueueEncryption.UNENCRYPTED });
    const role = stack.node.findChild('Functions').node.findChild('intake-role') as iam.Role;
    role.addToPolicy(new iam.PolicyStatement({ actions: ['s3:*'], resources: ['arn:aws:s3:::somewhere/*'] }));

    const rules = findings(stack).map((v) => v.ruleName);
    expect(rules).toEqual(expect.arrayContaining(['AwsSolutions-SQS2', 'AwsSolutions-SQS3', 'AwsSolutions-IAM5[Action::s3:*]']));
    try {
      // The report (all of it, or where it was written) is the error.
      expect(() => app.synth()).toThrow(/Validation failed|AwsSolutions-IAM5\[Action::s3:\*\]/);
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });
});
