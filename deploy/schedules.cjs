// Generates EventBridge schedules from caretaker.config.yml, so each snapshot policy's schedule is
// written once (in the config) and serverless.yml never repeats it.
const { readFileSync } = require('node:fs');
const { join } = require('node:path');
const { parse } = require('yaml');

function readConfig() {
  const file = process.env.CARETAKER_CONFIG_FILE || join(__dirname, '..', 'caretaker.config.yml');
  return parse(readFileSync(file, 'utf8')) || {};
}

/**
 * One schedule per snapshot policy (the input names the policy and carries the scheduled time),
 * and one rule for EBS's failed-snapshot events, which retry their slot once
 * (https://docs.aws.amazon.com/ebs/latest/userguide/ebs-cloud-watch-events.html). Completed
 * snapshots are filtered out by the pattern: they need no invocation.
 */
function snapshotSchedules() {
  const policies = (readConfig().snapshot || {}).policies || [];
  const failures = {
    eventBridge: {
      pattern: {
        source: ['aws.ec2'],
        'detail-type': ['EBS Snapshot Notification', 'EBS Multi-Volume Snapshots Completion Status'],
        detail: { event: ['createSnapshot', 'createSnapshots'], result: ['failed'] },
      },
    },
  };
  return [...policies.map((p) => ({
    schedule: {
      rate: [p.schedule],
      description: `EC2 Caretaker snapshot policy ${p.name}`,
      inputTransformer: {
        inputPathsMap: { time: '$.time' },
        inputTemplate: `{"policy":${JSON.stringify(p.name)},"time":<time>}`,
      },
    },
  })), ...(policies.length ? [failures] : [])];
}

/** The prune job's one schedule (`prune.schedule`, default daily); the input carries the scheduled time. */
function pruneSchedules() {
  const prune = readConfig().prune || {};
  return [
    {
      schedule: {
        rate: [prune.schedule || 'rate(1 day)'],
        description: 'EC2 Caretaker snapshot pruning',
        inputTransformer: { inputPathsMap: { time: '$.time' }, inputTemplate: '{"time":<time>}' },
      },
    },
  ];
}

/**
 * The failover watch schedule (default every minute), only when failover groups are configured:
 * an idle function would still cost an invocation a minute.
 */
function failoverSchedules() {
  const failover = readConfig().failover || {};
  if (!(failover.groups || []).length) return [];
  return [{ schedule: { rate: [failover.schedule || 'rate(1 minute)'], description: 'EC2 Caretaker DNS failover watch' } }];
}

/**
 * replace-degraded: the scan schedule (`degraded.schedule`) and the AWS Health rule, whose codes
 * come from shared/degraded/event-codes.json, the list the parser and the planner use too.
 */
function degradedEvents() {
  const degraded = readConfig().degraded || {};
  const codes = require('../shared/degraded/event-codes.json');
  return [
    { schedule: { rate: [degraded.schedule || 'rate(15 minutes)'], description: 'EC2 Caretaker degraded-host scan (DescribeInstanceStatus)' } },
    {
      eventBridge: {
        pattern: { source: ['aws.health'], 'detail-type': ['AWS Health Event'], detail: { service: ['EC2'], eventTypeCode: Object.keys(codes.health) } },
      },
    },
  ];
}

/** The failover function's VPC settings (private load balancers), or none. */
function failoverVpc() {
  const vpc = (readConfig().failover || {}).vpc;
  return vpc ? { subnetIds: vpc.subnetIds, securityGroupIds: vpc.securityGroupIds } : null;
}

module.exports = { snapshotSchedules, pruneSchedules, failoverSchedules, failoverVpc, degradedEvents, readConfig };
