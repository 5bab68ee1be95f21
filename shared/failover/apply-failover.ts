import { AssociateAddressCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { ChangeResourceRecordSetsCommand, type Route53Client, type RRType, waitUntilResourceRecordSetsChanged } from '@aws-sdk/client-route-53';
import { errorMessage } from '../aws/errors';
import { retryOn } from '../engine/retry';

/**
 * Codes retried here after the SDK's own retries are spent: a zone with a change in flight answers
 * `PriorRequestNotComplete` until it settles, which can outlast the SDK's few attempts.
 */
const BUSY_CODES = ['PriorRequestNotComplete', 'Throttling', 'ThrottlingException'];

export interface RecordChange {
  zoneId: string;
  action: 'UPSERT' | 'CREATE';
  name: string;
  type: RRType;
  ttl: number;
  value: string;
  comment: string;
}

/** One ChangeResourceRecordSets with one change; returns the change id to wait on. */
export async function changeRecord(route53: Route53Client, change: RecordChange, sleep: (ms: number) => Promise<void>): Promise<string> {
  const out = await retryOn(
    () =>
      route53.send(
        new ChangeResourceRecordSetsCommand({
          HostedZoneId: change.zoneId,
          ChangeBatch: {
            Comment: change.comment.slice(0, 256),
            Changes: [{ Action: change.action, ResourceRecordSet: { Name: change.name, Type: change.type, TTL: change.ttl, ResourceRecords: [{ Value: change.value }] } }],
          },
        }),
      ),
    { codes: BUSY_CODES, retries: 3, delayMs: (n) => 1000 * 2 ** n },
    sleep,
  );
  return out.ChangeInfo!.Id!;
}

export interface InsyncBounds {
  maxWaitSeconds: number;
  minDelaySeconds: number;
  maxDelaySeconds: number;
}

/**
 * Waits (bounded) until the change is INSYNC on every Route 53 name server. A timeout is not a
 * failure, the change is applied and will sync; it is reported as still PENDING.
 */
export async function waitInsync(route53: Route53Client, changeId: string, bounds: InsyncBounds): Promise<{ status: 'INSYNC' | 'PENDING'; note?: string }> {
  if (bounds.maxWaitSeconds <= bounds.minDelaySeconds) return { status: 'PENDING', note: 'no time left to wait for INSYNC' };
  try {
    await waitUntilResourceRecordSetsChanged(
      { client: route53, maxWaitTime: bounds.maxWaitSeconds, minDelay: bounds.minDelaySeconds, maxDelay: bounds.maxDelaySeconds },
      { Id: changeId },
    );
    return { status: 'INSYNC' };
  } catch (error) {
    return { status: 'PENDING', note: `not INSYNC within ${bounds.maxWaitSeconds} s (${errorMessage(error).split('\n')[0]})` };
  }
}

/** Elastic IP mode: move the address to the healthy instance, taking it from the dead one. */
export async function moveAddress(ec2: EC2Client, allocationId: string, instanceId: string, sleep: (ms: number) => Promise<void>): Promise<string | undefined> {
  const out = await retryOn(
    () => ec2.send(new AssociateAddressCommand({ AllocationId: allocationId, InstanceId: instanceId, AllowReassociation: true })),
    { codes: ['RequestLimitExceeded'], retries: 2, delayMs: (n) => 1000 * 2 ** n },
    sleep,
  );
  return out.AssociationId;
}
