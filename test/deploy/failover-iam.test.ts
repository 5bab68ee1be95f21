import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);
const { failoverStatements } = require('../../deploy/iam.cjs') as { failoverStatements(config: unknown): Array<Record<string, unknown>> };
const { failoverSchedules, failoverReservedConcurrency } = require('../../deploy/schedules.cjs') as {
  failoverSchedules(): unknown[];
  failoverReservedConcurrency(): number | null;
};
const sub = (s: string) => ({ 'Fn::Sub': s });

describe('dns-failover IAM statements', () => {
  it('allow changing only the configured names, types and actions in the configured zones', () => {
    const statements = failoverStatements({
      failover: {
        groups: [
          {
            name: 'web',
            hostedZoneId: '/hostedzone/Z0123456789ABC',
            recordName: 'LB.example.com.',
            members: [
              { name: 'lb1', ip: '192.0.2.10', selfName: 'lb1.example.com' },
              { name: 'lb2', instanceId: 'i-0123456789abcdef0', selfName: 'lb2.example.com' },
            ],
          },
        ],
      },
    });
    const zone = sub('arn:${AWS::Partition}:route53:::hostedzone/Z0123456789ABC');
    expect(statements).toEqual([
      { Sid: 'DescribeMembers', Effect: 'Allow', Action: ['ec2:DescribeInstances', 'ec2:DescribeAddresses'], Resource: '*' },
      { Sid: 'ReadFailoverZones', Effect: 'Allow', Action: ['route53:GetHostedZone', 'route53:ListResourceRecordSets'], Resource: [zone] },
      {
        Sid: 'ChangeOnlyFailoverRecords',
        Effect: 'Allow',
        Action: ['route53:ChangeResourceRecordSets'],
        Resource: [zone],
        Condition: {
          'ForAllValues:StringEquals': {
            'route53:ChangeResourceRecordSetsNormalizedRecordNames': ['lb.example.com', 'lb1.example.com', 'lb2.example.com'],
            'route53:ChangeResourceRecordSetsRecordTypes': ['A'],
            'route53:ChangeResourceRecordSetsActions': ['CREATE', 'UPSERT'],
          },
        },
      },
      { Sid: 'WaitForChanges', Effect: 'Allow', Action: ['route53:GetChange'], Resource: sub('arn:${AWS::Partition}:route53:::change/*') },
    ]);
  });

  it('allow AssociateAddress only of the configured Elastic IPs, onto the group members', () => {
    const statements = failoverStatements({
      failover: { groups: [{ name: 'eip', mode: 'elastic-ip', allocationId: 'eipalloc-0123456789abcdef0', members: [{ name: 'a', instanceId: 'i-0123456789abcdef0' }] }] },
    });
    expect(statements.map((s) => s.Sid)).toEqual(['DescribeMembers', 'MoveFailoverAddresses']);
    expect(statements[1]!.Resource).toEqual([
      sub('arn:${AWS::Partition}:ec2:${AWS::Region}:${AWS::AccountId}:elastic-ip/eipalloc-0123456789abcdef0'),
      sub('arn:${AWS::Partition}:ec2:${AWS::Region}:${AWS::AccountId}:instance/i-0123456789abcdef0'),
    ]);
  });

  it('grant nothing beyond the baseline when no group is configured', () => {
    expect(failoverStatements({})).toEqual([]);
    expect(failoverSchedules()).toEqual([]);
    expect(failoverReservedConcurrency()).toBeNull();
  });

  it('reserve concurrency 1 (one watcher) only when groups are configured', () => {
    const previous = process.env.CARETAKER_CONFIG_FILE;
    process.env.CARETAKER_CONFIG_FILE = join(import.meta.dirname, 'fixtures', 'all-features.config.yml');
    try {
      expect(failoverReservedConcurrency()).toBe(1);
      expect(failoverSchedules()).toEqual([{ schedule: { rate: ['rate(1 minute)'], description: 'EC2 Caretaker DNS failover watch' } }]);
    } finally {
      if (previous === undefined) delete process.env.CARETAKER_CONFIG_FILE;
      else process.env.CARETAKER_CONFIG_FILE = previous;
    }
  });
});

describe('dns-failover IAM statements in a VPC', () => {
  it('allow network interfaces only in the configured subnets and security groups', async () => {
    const { createRequire } = await import('node:module');
    const { failoverStatements } = createRequire(import.meta.url)('../../deploy/iam.cjs');
    const vpc = { subnetIds: ['subnet-0123456789abcdef0'], securityGroupIds: ['sg-0123456789abcdef0'] };
    expect(failoverStatements({ failover: {} }).map((s: { Sid: string }) => s.Sid)).not.toContain('VpcNetworkInterfaces');
    const create = failoverStatements({ failover: { vpc } }).find((s: { Sid: string }) => s.Sid === 'VpcNetworkInterfaces');
    expect(create.Resource).toEqual([
      { 'Fn::Sub': 'arn:${AWS::Partition}:ec2:${AWS::Region}:${AWS::AccountId}:network-interface/*' },
      { 'Fn::Sub': 'arn:${AWS::Partition}:ec2:${AWS::Region}:${AWS::AccountId}:subnet/subnet-0123456789abcdef0' },
      { 'Fn::Sub': 'arn:${AWS::Partition}:ec2:${AWS::Region}:${AWS::AccountId}:security-group/sg-0123456789abcdef0' },
    ]);
    // Lambda's VPC setup describes the subnets and interfaces too (AWSLambdaVPCAccessExecutionRole).
    expect(failoverStatements({ failover: { vpc } }).find((s: { Sid: string }) => s.Sid === 'VpcDescribeNetwork')).toEqual({
      Sid: 'VpcDescribeNetwork',
      Effect: 'Allow',
      Action: ['ec2:DescribeNetworkInterfaces', 'ec2:DescribeSubnets'],
      Resource: '*',
    });
  });
});
