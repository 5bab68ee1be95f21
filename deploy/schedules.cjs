// Generates EventBridge schedules from caretaker.config.yml, so each snapshot policy's schedule is
// written once (in the config) and serverless.yml never repeats it. A schedule with `timeZone`
// becomes an EventBridge Scheduler schedule (schedulerResources); the others stay UTC rules.
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
 * snapshots are filtered out by the pattern unless a policy copies them to another Region
 * (`copyTo`): then their completion starts the copies.
 */
function snapshotSchedules() {
  const policies = (readConfig().snapshot || {}).policies || [];
  // With copyTo, a completed snapshot starts its copies: succeeded events are routed too.
  const copies = policies.some((p) => (p.copyTo || []).length > 0);
  const failures = {
    eventBridge: {
      pattern: {
        source: ['aws.ec2'],
        'detail-type': ['EBS Snapshot Notification', 'EBS Multi-Volume Snapshots Completion Status'],
        detail: { event: ['createSnapshot', 'createSnapshots'], result: copies ? ['failed', 'succeeded'] : ['failed'] },
      },
    },
  };
  return [...policies.filter((p) => !p.timeZone).map((p) => ({
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
  if (prune.timeZone) return [];
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
    ...(degraded.timeZone
      ? []
      : [{ schedule: { rate: [degraded.schedule || 'rate(15 minutes)'], description: 'EC2 Caretaker degraded-host scan (DescribeInstanceStatus)' } }]),
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

/**
 * Scheduler schedules of the sections with `timeZone`: what each invokes and with which input.
 * `<aws.scheduler.scheduled-time>` is the firing's nominal time in UTC ISO 8601, so the snapshot
 * slot is the same for every delivery of one firing, and distinct for every local firing
 * (https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-schedule-context-attributes.html).
 */
function localSchedules(config = readConfig()) {
  const out = [];
  const time = '<aws.scheduler.scheduled-time>';
  ((config.snapshot || {}).policies || []).forEach((p) => {
    if (!p.timeZone) return;
    out.push({ fn: 'snapshot-volumes', id: `Snapshot${pascal(p.name)}`, section: p, description: `EC2 Caretaker snapshot policy ${p.name}`, input: { policy: p.name, time } });
  });
  const prune = config.prune || {};
  if (prune.timeZone) out.push({ fn: 'prune-snapshots', id: 'Prune', section: { schedule: 'rate(1 day)', ...prune }, description: 'EC2 Caretaker snapshot pruning', input: { time } });
  const degraded = config.degraded || {};
  if (degraded.timeZone) {
    out.push({ fn: 'replace-degraded', id: 'DegradedScan', section: { schedule: 'rate(15 minutes)', ...degraded }, description: 'EC2 Caretaker degraded-host scan (DescribeInstanceStatus)', input: { action: 'scan' } });
  }
  return out;
}

function pascal(name) {
  return name.replace(/(^|-)([a-z0-9])/g, (_, __, c) => c.toUpperCase());
}

/** serverless' logical id of a function: `snapshot-volumes` → `SnapshotDashvolumesLambdaFunction`. */
function functionLogicalId(fn) {
  return `${fn.charAt(0).toUpperCase()}${fn.slice(1).replace(/-/g, 'Dash')}LambdaFunction`;
}

/**
 * `AWS::Scheduler::Schedule` resources (osls' `method: scheduler` takes no input transformer and
 * grants the invoke on the shared role we do not use, so the stack carries its own), and one role
 * that Scheduler assumes, allowed to invoke exactly the scheduled functions, only from this account.
 */
/**
 * A role only EventBridge Scheduler acting for this account may assume, with one statement: the
 * local-time schedules' role and the prune continuation's role (deploy/iam.cjs) are both this.
 */
function schedulerRole({ policyName, statement, ...properties }) {
  return {
    Type: 'AWS::IAM::Role',
    Properties: {
      ...properties,
      AssumeRolePolicyDocument: {
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { Service: 'scheduler.amazonaws.com' },
            Action: 'sts:AssumeRole',
            // Confused-deputy guard: https://docs.aws.amazon.com/scheduler/latest/UserGuide/setting-up.html#setting-up-execution-role
            Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
          },
        ],
      },
      Policies: [{ PolicyName: policyName, PolicyDocument: { Version: '2012-10-17', Statement: [statement] } }],
    },
  };
}

function schedulerResources() {
  const schedules = localSchedules();
  if (schedules.length === 0) return { Resources: {} };
  const functions = [...new Set(schedules.map((s) => s.fn))];
  const Resources = {
    CaretakerSchedulerRole: schedulerRole({
      Description: 'EventBridge Scheduler invokes the EC2 Caretaker functions on local-time schedules',
      policyName: 'invoke-scheduled-functions',
      statement: { Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: functions.map((fn) => ({ 'Fn::GetAtt': [functionLogicalId(fn), 'Arn'] })) },
    }),
  };
  for (const s of schedules) {
    const window = s.section.flexibleWindowMinutes;
    Resources[`${s.id}LocalSchedule`] = {
      Type: 'AWS::Scheduler::Schedule',
      Properties: {
        Description: `${s.description} (${s.section.timeZone})`,
        ScheduleExpression: s.section.schedule,
        ScheduleExpressionTimezone: s.section.timeZone,
        FlexibleTimeWindow: window ? { Mode: 'FLEXIBLE', MaximumWindowInMinutes: window } : { Mode: 'OFF' },
        State: 'ENABLED',
        Target: {
          Arn: { 'Fn::GetAtt': [functionLogicalId(s.fn), 'Arn'] },
          RoleArn: { 'Fn::GetAtt': ['CaretakerSchedulerRole', 'Arn'] },
          Input: JSON.stringify(s.input),
          // A run that starts an hour late is still worth it (the slot is the scheduled time);
          // later, the next firing is better.
          RetryPolicy: { MaximumEventAgeInSeconds: 3600, MaximumRetryAttempts: 5 },
        },
      },
    };
  }
  return { Resources };
}

module.exports = { snapshotSchedules, pruneSchedules, failoverSchedules, failoverReservedConcurrency, failoverVpc, degradedEvents, readConfig, localSchedules, schedulerResources, schedulerRole };
