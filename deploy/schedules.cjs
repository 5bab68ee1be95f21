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

module.exports = { snapshotSchedules, degradedEvents, readConfig };
