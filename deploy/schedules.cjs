// Generates EventBridge schedules from caretaker.config.yml, so each snapshot policy's schedule is
// written once (in the config) and serverless.yml never repeats it.
const { readFileSync } = require('node:fs');
const { join } = require('node:path');
const { parse } = require('yaml');

function readConfig() {
  const file = process.env.CARETAKER_CONFIG_FILE || join(__dirname, '..', 'caretaker.config.yml');
  return parse(readFileSync(file, 'utf8')) || {};
}

/** One schedule per snapshot policy; the input names the policy and carries the scheduled time. */
function snapshotSchedules() {
  const policies = (readConfig().snapshot || {}).policies || [];
  return policies.map((p) => ({
    schedule: {
      rate: [p.schedule],
      description: `EC2 Caretaker snapshot policy ${p.name}`,
      inputTransformer: {
        inputPathsMap: { time: '$.time' },
        inputTemplate: `{"policy":${JSON.stringify(p.name)},"time":<time>}`,
      },
    },
  }));
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

/**
 * dns-failover's reserved concurrency: 1 (one watcher at a time) only when failover groups are
 * configured. Lambda keeps 100 of the account's concurrency unreserved, so an account with the
 * new-account quota of 10 cannot reserve even 1: a stack without failover must not ask.
 * https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html
 */
function failoverReservedConcurrency() {
  return ((readConfig().failover || {}).groups || []).length > 0 ? 1 : null;
}

/** The failover function's VPC settings (private load balancers), or none. */
function failoverVpc() {
  const vpc = (readConfig().failover || {}).vpc;
  return vpc ? { subnetIds: vpc.subnetIds, securityGroupIds: vpc.securityGroupIds } : null;
}

module.exports = { snapshotSchedules, pruneSchedules, failoverSchedules, failoverReservedConcurrency, failoverVpc, degradedEvents, readConfig };
