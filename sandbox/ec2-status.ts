import type {
  Address,
  DescribeAddressesRequest,
  DescribeInstanceStatusRequest,
  Instance,
} from '@aws-sdk/client-ec2';
import { clone, type Ec2Model, type InstanceHealth } from './ec2';
import { fail } from './errors';
import { applyFilters, type FilterFields, paginate } from './query';

type Op = (input: never) => unknown;

/**
 * Instance status (scheduled events, status checks) and Elastic IPs of the sandbox's EC2: what the
 * degraded-host and failover jobs read. State lives in {@link Ec2Model}; AssociateAddress and the
 * interfaces Elastic IPs sit on are in ec2-network.ts.
 */
export class Ec2Status {
  constructor(private readonly ec2: Ec2Model) {}

  /** Operations to register with `account.serve('ec2', ...)`. */
  readonly operations: Record<string, Op> = {
    DescribeInstanceStatus: (i: DescribeInstanceStatusRequest) => this.describeInstanceStatus(i),
    DescribeAddresses: (i: DescribeAddressesRequest) => this.describeAddresses(i),
  };

  // ----- instance status -----

  private statusFields: FilterFields<Instance & { health: InstanceHealth }> = {
    'event.code': (i) => i.health.events.map((e) => e.Code),
    'system-status.status': (i) => [i.health.systemStatus],
    'instance-status.status': (i) => [i.health.instanceStatus],
    'instance-state-name': (i) => [i.State?.Name],
  };

  private describeInstanceStatus(input: DescribeInstanceStatusRequest) {
    if (input.InstanceIds?.length) input.InstanceIds.forEach((id) => this.ec2.requireInstance(id));
    const items = [...this.ec2.instances.values()]
      .filter((i) => !input.InstanceIds?.length || input.InstanceIds.includes(i.data.InstanceId!))
      .filter((i) => input.IncludeAllInstances || i.data.State?.Name === 'running')
      .map((i) => ({ seq: i.seq, data: { ...i.data, health: this.ec2.healthOf(i.data.InstanceId!) } }));
    const { page, nextToken } = paginate('ec2', applyFilters(items, input.Filters, this.statusFields), input, { min: 5, max: 1000 });
    return {
      InstanceStatuses: page.map((i) => {
        const running = i.State?.Name === 'running';
        return {
          InstanceId: i.InstanceId,
          AvailabilityZone: i.Placement?.AvailabilityZone,
          InstanceState: clone(i.State),
          Events: clone(i.health.events),
          SystemStatus: { Status: running ? i.health.systemStatus : 'not-applicable', Details: [{ Name: 'reachability', Status: running && i.health.systemStatus === 'impaired' ? 'failed' : 'passed' }] },
          InstanceStatus: { Status: running ? i.health.instanceStatus : 'not-applicable' },
        };
      }),
      NextToken: nextToken,
    };
  }

  // ----- Elastic IPs -----

  private addressFields: FilterFields<Address> = {
    'allocation-id': (a) => [a.AllocationId],
    'association-id': (a) => [a.AssociationId],
    'instance-id': (a) => [a.InstanceId],
    'public-ip': (a) => [a.PublicIp],
    domain: (a) => [a.Domain],
  };

  private describeAddresses(input: DescribeAddressesRequest) {
    let items = [...this.ec2.addresses.values()];
    if (input.AllocationIds?.length) {
      const missing = input.AllocationIds.filter((id) => !this.ec2.addresses.has(id));
      if (missing.length) throw fail('ec2', 'InvalidAllocationID.NotFound', `The allocation IDs '${missing.join(', ')}' do not exist`);
      items = items.filter((a) => input.AllocationIds!.includes(a.data.AllocationId!));
    }
    if (input.PublicIps?.length) items = items.filter((a) => input.PublicIps!.includes(a.data.PublicIp!));
    return { Addresses: applyFilters(items, input.Filters, this.addressFields).map((a) => clone(a.data)) };
  }
}
