import {
  DescribeInstanceAttributeCommand,
  DescribeInstancesCommand,
  DescribeInstanceTypesCommand,
  DescribeInstanceStatusCommand,
  type DescribeInstanceStatusCommandInput,
  type EC2Client,
  type Filter,
  type Instance,
  type InstanceStatus,
  paginateDescribeInstances,
  paginateDescribeInstanceStatus,
} from '@aws-sdk/client-ec2';
import type { InstanceFacts } from './choose-action';
import type { DegradedNotice } from './event';
import { codeInfo, IMPAIRED_CODE, SCHEDULED_EVENT_CODES } from './event-codes';
import { TAG_STATE } from './tags';
import { filterChunks } from '../aws/filters';


/**
 * The scan: running instances with a pending scheduled event of ours, and with a failing system
 * status check. Two filtered, paginated `DescribeInstanceStatus` calls (filters are ANDed, so one
 * call cannot ask for "either"). Completed and canceled events are ignored.
 */
export async function scanInstanceStatus(ec2: EC2Client, instanceIds?: string[]): Promise<DegradedNotice[]> {
  const notices: DegradedNotice[] = [];
  const byEvent = await statuses(ec2, [{ Name: 'event.code', Values: Object.keys(SCHEDULED_EVENT_CODES) }], instanceIds);
  for (const status of byEvent) {
    for (const event of status.Events ?? []) {
      const info = codeInfo(event.Code ?? '');
      if (!info || /^\[(Completed|Canceled)\]/.test(event.Description ?? '')) continue;
      notices.push({
        instanceId: status.InstanceId!,
        code: event.Code!,
        family: info.family,
        deadline: event.NotBefore,
        eventKey: event.InstanceEventId ?? `${status.InstanceId}:${event.Code}:${event.NotBefore?.toISOString() ?? ''}`,
        source: 'scan',
      });
    }
  }
  const impaired = await statuses(ec2, [{ Name: 'system-status.status', Values: ['impaired'] }], instanceIds);
  for (const status of impaired) {
    notices.push({ instanceId: status.InstanceId!, code: IMPAIRED_CODE, family: 'impaired', eventKey: `${IMPAIRED_CODE}:${status.InstanceId}`, source: 'scan' });
  }
  return notices;
}

async function statuses(ec2: EC2Client, filters: Filter[], instanceIds?: string[]): Promise<InstanceStatus[]> {
  const out: InstanceStatus[] = [];
  // EC2 refuses MaxResults together with InstanceIds: page only the account-wide form.
  const input: DescribeInstanceStatusCommandInput = instanceIds?.length ? { Filters: filters, InstanceIds: instanceIds } : { Filters: filters, MaxResults: 1000 };
  if (instanceIds?.length) {
    const res = await ec2.send(new DescribeInstanceStatusCommand(input));
    return res.InstanceStatuses ?? [];
  }
  for await (const page of paginateDescribeInstanceStatus({ client: ec2 }, input)) out.push(...(page.InstanceStatuses ?? []));
  return out;
}

/**
 * The instances named, by `instance-id` filter rather than `InstanceIds`: an id that does not
 * exist (terminated long ago, other account) is then simply absent instead of failing the call.
 */
export async function describeInstancesById(ec2: EC2Client, ids: string[]): Promise<Map<string, Instance>> {
  const found = new Map<string, Instance>();
  const unique = [...new Set(ids)];
  for (const chunk of filterChunks(unique)) {
    for await (const page of paginateDescribeInstances({ client: ec2 }, { Filters: [{ Name: 'instance-id', Values: chunk }], MaxResults: 1000 })) {
      for (const inst of (page.Reservations ?? []).flatMap((r) => r.Instances ?? [])) found.set(inst.InstanceId!, inst);
    }
  }
  return found;
}

/**
 * Instances whose remediation is marked in progress (a cut-off run the scan must resume) or that a
 * failed stop-start left stopped (an outage the scan keeps trying to end).
 */
export async function describeInProgress(ec2: EC2Client): Promise<string[]> {
  const ids: string[] = [];
  const input = { Filters: [{ Name: `tag:${TAG_STATE}`, Values: ['*:in-progress', 'stop-start:failed'] }], MaxResults: 1000 };
  for await (const page of paginateDescribeInstances({ client: ec2 }, input)) {
    ids.push(...(page.Reservations ?? []).flatMap((r) => r.Instances ?? []).map((i) => i.InstanceId!));
  }
  return ids;
}

/** One instance, fresh (state, IPs); undefined if EC2 no longer knows it. */
export async function describeInstance(ec2: EC2Client, id: string): Promise<Instance | undefined> {
  const res = await ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'instance-id', Values: [id] }] }));
  return res.Reservations?.[0]?.Instances?.[0];
}

/**
 * Type and attribute facts the `auto` choice needs: instance store and automatic recovery from
 * DescribeInstanceTypes (one call per 100 types), stop and termination protection from
 * DescribeInstanceAttribute (they appear nowhere else). An instance whose facts cannot be read is
 * left out, and the planner then only notifies.
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeInstanceTypes.html
 */
export async function describeFacts(ec2: EC2Client, instances: Iterable<Instance>): Promise<Map<string, InstanceFacts>> {
  const list = [...instances].filter((i) => i.State?.Name !== 'terminated');
  const types = new Map<string, { instanceStore: boolean; autoRecovery: boolean }>();
  const names = [...new Set(list.map((i) => i.InstanceType!).filter(Boolean))];
  for (let n = 0; n < names.length; n += 100) {
    const res = await ec2.send(new DescribeInstanceTypesCommand({ InstanceTypes: names.slice(n, n + 100) as never }));
    for (const t of res.InstanceTypes ?? []) types.set(t.InstanceType!, { instanceStore: t.InstanceStorageSupported === true, autoRecovery: t.AutoRecoverySupported === true });
  }
  const facts = new Map<string, InstanceFacts>();
  for (const i of list) {
    const type = types.get(i.InstanceType ?? '');
    if (!type) continue;
    const attribute = async (Attribute: 'disableApiStop' | 'disableApiTermination') => {
      const res = await ec2.send(new DescribeInstanceAttributeCommand({ InstanceId: i.InstanceId, Attribute }));
      return (Attribute === 'disableApiStop' ? res.DisableApiStop?.Value : res.DisableApiTermination?.Value) === true;
    };
    facts.set(i.InstanceId!, { ...type, stopProtected: await attribute('disableApiStop'), terminationProtected: await attribute('disableApiTermination') });
  }
  return facts;
}
