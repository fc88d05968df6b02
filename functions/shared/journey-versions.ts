import {
  DescribeStateMachineAliasCommand,
  type ExecutionListItem,
  ListExecutionsCommand,
  ListStateMachineVersionsCommand,
} from '@aws-sdk/client-sfn';
import { requiredEnv, sfn } from './aws-clients.ts';
import { getReferral } from './referral-store.ts';

/**
 * Which definition version each running journey is on, for operators deciding when an old
 * version can be retired (README: upgrades). Works the same on AWS and on the local runtime:
 * the versions (ListStateMachineVersions), where the alias points (DescribeStateMachineAlias),
 * and the running executions of each version (ListExecutions on the version ARN), each counted
 * by the journey stage stored on its referral. Ids, codes and counts only.
 */
export interface VersionRow {
  /** The version's qualifier (a number in AWS, a content hash locally); `unversioned` for executions started without one. */
  readonly version: string;
  readonly versionArn?: string;
  /** New journeys start on it (the alias routes to it). */
  readonly current: boolean;
  readonly running: number;
  readonly byStage: Readonly<Record<string, number>>;
  /** Not current and nothing running on it: it can be deleted. */
  readonly retirable: boolean;
}

const UNVERSIONED = 'unversioned';

async function allPages<T>(page: (nextToken?: string) => Promise<{ items: T[]; nextToken?: string }>): Promise<T[]> {
  const out: T[] = [];
  let token: string | undefined;
  do {
    const { items, nextToken } = await page(token);
    out.push(...items);
    token = nextToken;
  } while (token);
  return out;
}

const running = (stateMachineArn: string) =>
  allPages<ExecutionListItem>(async (nextToken) => {
    const res = await sfn().send(new ListExecutionsCommand({ stateMachineArn, statusFilter: 'RUNNING', ...(nextToken ? { nextToken } : {}) }));
    return { items: res.executions ?? [], ...(res.nextToken ? { nextToken: res.nextToken } : {}) };
  });

/** The referral an execution serves: its name is the referral id, or `<id>-redrive-<n>`. */
const referralIdOf = (executionName: string) => executionName.replace(/-redrive-\d+$/, '');

async function stagesOf(executions: readonly ExecutionListItem[]): Promise<Record<string, number>> {
  const stages: Record<string, number> = {};
  for (const ex of executions) {
    const stage = (await getReferral(referralIdOf(ex.name ?? '')))?.stage ?? 'unknown';
    stages[stage] = (stages[stage] ?? 0) + 1;
  }
  return stages;
}

export async function listJourneysByVersion(): Promise<VersionRow[]> {
  const machineArn = requiredEnv('JOURNEY_STATE_MACHINE_ARN');
  const versions = await allPages(async (nextToken) => {
    const res = await sfn().send(new ListStateMachineVersionsCommand({ stateMachineArn: machineArn, ...(nextToken ? { nextToken } : {}) }));
    return { items: (res.stateMachineVersions ?? []).map((v) => v.stateMachineVersionArn!), ...(res.nextToken ? { nextToken: res.nextToken } : {}) };
  });
  const alias = await sfn().send(new DescribeStateMachineAliasCommand({ stateMachineAliasArn: requiredEnv('JOURNEY_ALIAS_ARN') }));
  const current = new Set((alias.routingConfiguration ?? []).map((r) => r.stateMachineVersionArn));

  const rows: VersionRow[] = [];
  for (const versionArn of versions) {
    const executions = await running(versionArn);
    const isCurrent = current.has(versionArn);
    rows.push({
      version: versionArn.split(':').pop()!,
      versionArn,
      current: isCurrent,
      running: executions.length,
      byStage: await stagesOf(executions),
      retirable: !isCurrent && executions.length === 0,
    });
  }
  // Journeys started on the bare state machine (before versions were deployed) have no version.
  const unversioned = (await running(machineArn)).filter((ex) => !ex.stateMachineVersionArn);
  if (unversioned.length) {
    rows.push({ version: UNVERSIONED, current: false, running: unversioned.length, byStage: await stagesOf(unversioned), retirable: false });
  }
  return rows;
}
