// The stack's CloudWatch dashboard and alarms, generated from the metric catalog
// (shared/metrics/catalog.json, what the functions emit) and caretaker.config.yml (which policies
// and failover groups exist). A panel can only name a catalogued metric, under the dimensions it
// is emitted with: anything else, or a dashboard over CloudWatch's quotas, throws, and
// `osls package` (run by `npm test`) fails.
const { readFileSync } = require('node:fs');
const { join } = require('node:path');
const { readConfig } = require('./schedules.cjs');
const { dashboardName, deployment } = require('./names.cjs');

const CATALOG_FILE = join(__dirname, '..', 'shared', 'metrics', 'catalog.json');
const JOBS = ['snapshot', 'prune', 'degraded', 'failover'];
const REPLACEMENT_ACTIONS = ['notify', 'stop-start', 'relaunch'];
const OUTCOMES = ['done', 'failed', 'skipped'];

/**
 * CloudWatch dashboard quotas (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch_limits.html):
 * 500 widgets per dashboard, 500 metrics per widget, 2,500 metrics per dashboard. No byte limit
 * of DashboardBody is documented; the body lives in the template, which CloudFormation caps at
 * 1 MB (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html):
 * we keep the body under a quarter of that. A math alarm may use at most 10 metrics.
 */
const LIMITS = { widgets: 500, metricsPerWidget: 500, metricsPerDashboard: 2500, bodyBytes: 256 * 1024, metricsPerMathAlarm: 10 };

/**
 * The catalog, refusing a metric name used twice: JSON.parse would silently keep the last of two
 * equal keys, and two names differing only in case read as one on a dashboard.
 */
function loadCatalog(text = readFileSync(CATALOG_FILE, 'utf8')) {
  const catalog = JSON.parse(text);
  const metricsText = text.slice(text.indexOf('"metrics"'));
  const names = [...metricsText.matchAll(/^\s*"([A-Za-z0-9]+)":\s*\{/gm)].map((m) => m[1]);
  const seen = new Map();
  for (const name of names) {
    const key = name.toLowerCase();
    if (seen.has(key)) throw new Error(`metric name collision in shared/metrics/catalog.json: '${name}' and '${seen.get(key)}'`);
    seen.set(key, name);
  }
  return catalog;
}

/** One metric of a panel or an alarm: name, the dimension values of its level, stat, label. */
function metric(catalog, name, dims, stat, label) {
  const def = catalog.metrics[name];
  if (!def) throw new Error(`dashboard names metric '${name}', which the functions do not emit (not in the catalog)`);
  const want = catalog.levels[def.level];
  const got = Object.keys(dims);
  if (want.join(',') !== got.join(',')) {
    throw new Error(`dashboard uses ${name} with dimensions [${got}], but it is emitted with [${want}] (level ${def.level})`);
  }
  return { name, dims, stat, label: label || name };
}

/** The panels, as data: the stack's dashboard and the demo's text rendering both draw these. */
function panels(config = readConfig(), catalog = loadCatalog()) {
  const R = '${AWS::Region}';
  const policies = ((config.snapshot || {}).policies || []).map((p) => p.name);
  const prunePolicies = [...((config.snapshot || {}).policies || []).filter((p) => p.retain).map((p) => p.name), ...(((config.prune || {}).volumes || []).length ? ['prune.volumes'] : [])];
  const groups = ((config.failover || {}).groups || []).map((g) => g.name);
  const copying = ((config.snapshot || {}).policies || []).filter((p) => (p.copyTo || []).length > 0).map((p) => p.name);
  const m = (name, dims, stat, label) => metric(catalog, name, { Job: dims.Job, Region: R, ...dims.rest }, stat, label);
  const out = [
    {
      title: 'Freshness: snapshots started, completed, failed per policy; stale volumes',
      view: 'timeSeries',
      metrics: [
        ...policies.map((p) => m('SnapshotsStarted', { Job: 'snapshot', rest: { Policy: p } }, 'Sum', `started ${p}`)),
        // Counted by the next slot that runs (completions since the last counted slot).
        ...policies.map((p) => m('SnapshotsCompleted', { Job: 'snapshot', rest: { Policy: p } }, 'Sum', `completed ${p}`)),
        ...policies.map((p) => m('SnapshotsFailed', { Job: 'snapshot', rest: { Policy: p } }, 'Sum', `failed ${p}`)),
        m('StaleVolumes', { Job: 'prune' }, 'Maximum', 'stale volumes (prune)'),
        m('StaleVolumes', { Job: 'snapshot' }, 'Maximum', 'stale volumes (snapshot)'),
      ],
    },
    {
      // The worst-off volume's backup age against the policy's freshness guard (emitted beside it,
      // so the line follows the config). The snapshot run covers the selected instances' volumes;
      // prune also sees volumes whose instance is gone (until their snapshots are kept or deleted).
      title: 'Backup age: worst volume per policy (hours) and its stale-after line',
      view: 'timeSeries',
      // https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/CloudWatch-Dashboard-Body-Structure.html (yAxis)
      yAxis: { left: { min: 0, label: 'hours', showUnits: false } },
      metrics: [
        ...policies.flatMap((p) => [
          m('WorstBackupAgeHours', { Job: 'snapshot', rest: { Policy: p } }, 'Maximum', `age ${p}`),
          m('StaleAfterHours', { Job: 'snapshot', rest: { Policy: p } }, 'Maximum', `stale after ${p}`),
        ]),
        ...prunePolicies.map((p) => m('WorstBackupAgeHours', { Job: 'prune', rest: { Policy: p } }, 'Maximum', `age ${p} (prune)`)),
      ],
    },
    {
      // Only with copyTo: copies started and failed per policy, and copies that ended in error (ACTION NEEDED).
      title: 'Copies to other Regions: started, failed per policy; copies in error',
      view: 'timeSeries',
      metrics: copying.length
        ? [
            ...copying.map((p) => m('SnapshotCopies', { Job: 'snapshot', rest: { Policy: p } }, 'Sum', `copies started ${p}`)),
            ...copying.map((p) => m('SnapshotCopiesFailed', { Job: 'snapshot', rest: { Policy: p } }, 'Sum', `copies failed ${p}`)),
            m('CopyErrors', { Job: 'snapshot' }, 'Maximum', 'copies in error'),
          ]
        : [],
    },
    {
      title: 'Failures: failed items and refused runs per job',
      view: 'timeSeries',
      metrics: [...JOBS.map((j) => m('ItemsFailed', { Job: j }, 'Sum', `failed ${j}`)), ...JOBS.map((j) => m('RunRefused', { Job: j }, 'Sum', `refused ${j}`))],
    },
    {
      title: 'Deletions vs backlog per policy',
      view: 'timeSeries',
      metrics: [
        ...prunePolicies.map((p) => m('SnapshotsDeleted', { Job: 'prune', rest: { Policy: p } }, 'Sum', `deleted ${p}`)),
        ...prunePolicies.map((p) => m('DeletionsRemaining', { Job: 'prune', rest: { Policy: p } }, 'Maximum', `backlog ${p}`)),
        ...prunePolicies.map((p) => m('DeletionsFailed', { Job: 'prune', rest: { Policy: p } }, 'Sum', `failed ${p}`)),
      ],
    },
    {
      title: 'Degraded hosts: replacements by action and outcome',
      view: 'timeSeries',
      stacked: true,
      metrics: REPLACEMENT_ACTIONS.flatMap((a) => OUTCOMES.map((o) => m('Replacements', { Job: 'degraded', rest: { Action: a, Outcome: o } }, 'Sum', `${a} ${o}`))),
    },
    {
      title: 'Failover: healthy members, no healthy member, moves',
      view: 'timeSeries',
      metrics: groups.flatMap((g) => [
        m('HealthyMembers', { Job: 'failover', rest: { Group: g } }, 'Minimum', `healthy ${g}`),
        m('NoHealthyMember', { Job: 'failover', rest: { Group: g } }, 'Maximum', `none healthy ${g}`),
        m('FailoverMoves', { Job: 'failover', rest: { Group: g } }, 'Sum', `moves ${g}`),
      ]),
    },
    {
      title: 'Failover: probe latency (p50, p99) and failed probes',
      view: 'timeSeries',
      metrics: groups.flatMap((g) => [
        m('ProbeLatency', { Job: 'failover', rest: { Group: g } }, 'p50', `p50 ms ${g}`),
        m('ProbeLatency', { Job: 'failover', rest: { Group: g } }, 'p99', `p99 ms ${g}`),
        m('ProbeFailures', { Job: 'failover', rest: { Group: g } }, 'Sum', `failed probes ${g}`),
      ]),
    },
    {
      title: 'Run duration per job (seconds)',
      view: 'timeSeries',
      metrics: JOBS.map((j) => m('RunDuration', { Job: j }, 'Maximum', j)),
    },
  ];
  return out.filter((p) => p.metrics.length > 0);
}

/** The `AWS::CloudWatch::Dashboard` body; `${AWS::Region}` is left for Fn::Sub. */
function dashboardBody(panelList, { service, namespace, alarmArns = [] }) {
  const widgets = [
    {
      type: 'text',
      x: 0,
      y: 0,
      width: alarmArns.length ? 12 : 24,
      height: 3,
      properties: {
        markdown: `## EC2 Caretaker (${service})\nGenerated by deploy/dashboard.cjs from the metric catalog and caretaker.config.yml: edit those, not this dashboard. Metrics: namespace ${namespace}, dimension service=${service}.`,
      },
    },
    ...(alarmArns.length ? [{ type: 'alarm', x: 12, y: 0, width: 12, height: 3, properties: { title: 'Alarms (to the alert topic)', alarms: alarmArns } }] : []),
  ];
  panelList.forEach((p, i) => {
    widgets.push({
      type: 'metric',
      x: (i % 2) * 12,
      y: 3 + Math.floor(i / 2) * 6,
      width: 12,
      height: 6,
      properties: {
        title: p.title,
        view: p.view,
        stacked: p.stacked === true,
        ...(p.yAxis ? { yAxis: p.yAxis } : {}),
        region: '${AWS::Region}',
        period: 3600,
        metrics: p.metrics.map((x) => [namespace, x.name, 'service', service, ...Object.entries(x.dims).flat(), { stat: x.stat, label: x.label }]),
      },
    });
  });
  const body = { widgets };
  checkLimits(body);
  return body;
}

function checkLimits(body) {
  const metricWidgets = body.widgets.filter((w) => w.type === 'metric');
  if (body.widgets.length > LIMITS.widgets) throw new Error(`dashboard has ${body.widgets.length} widgets; CloudWatch allows ${LIMITS.widgets}`);
  for (const w of metricWidgets) {
    if (w.properties.metrics.length > LIMITS.metricsPerWidget) throw new Error(`dashboard widget '${w.properties.title}' has ${w.properties.metrics.length} metrics; CloudWatch allows ${LIMITS.metricsPerWidget}`);
  }
  const total = metricWidgets.reduce((n, w) => n + w.properties.metrics.length, 0);
  if (total > LIMITS.metricsPerDashboard) throw new Error(`dashboard has ${total} metrics; CloudWatch allows ${LIMITS.metricsPerDashboard}`);
  const bytes = Buffer.byteLength(JSON.stringify(body));
  if (bytes > LIMITS.bodyBytes) throw new Error(`dashboard body is ${bytes} bytes; our limit is ${LIMITS.bodyBytes} (the template holding it is capped at 1 MB)`);
}

/** A CloudFormation metric query of an alarm. */
function alarmQuery(id, x, service, namespace, period) {
  return {
    Id: id,
    ReturnData: false,
    MetricStat: {
      Metric: {
        Namespace: namespace,
        MetricName: x.name,
        Dimensions: [{ Name: 'service', Value: service }, ...Object.entries(x.dims).map(([Name, Value]) => ({ Name, Value: Value === '${AWS::Region}' ? { Ref: 'AWS::Region' } : Value }))],
      },
      Period: period,
      Stat: x.stat,
    },
  };
}

/**
 * Alarms on the numbers that need a person, to the alert topic. They notify on a state change
 * only; with missing data "not breaching", a condition that persists alarms again at its next run.
 */
function alarms(config = readConfig(), catalog = loadCatalog(), { service, stage }) {
  const ns = catalog.namespace;
  const m = (name, dims, stat, region = HOME) => metric(catalog, name, { Job: dims.Job, Region: region, ...dims.rest }, stat);
  const math = (id, description, expression, parts, period, options = {}) => {
    if (parts.length > LIMITS.metricsPerMathAlarm) throw new Error(`alarm ${id} uses ${parts.length} metrics; a math alarm may use ${LIMITS.metricsPerMathAlarm}`);
    return {
      Type: 'AWS::CloudWatch::Alarm',
      Properties: {
        AlarmName: `${service}-${id}`,
        AlarmDescription: description,
        Metrics: [{ Id: 'e1', Expression: expression, Label: id, ReturnData: true }, ...parts.map((x, i) => alarmQuery(`m${i + 1}`, x, service, ns, period))],
        EvaluationPeriods: 1,
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
        TreatMissingData: 'notBreaching',
        AlarmActions: [{ Ref: 'AlertTopic' }],
        ...options,
      },
    };
  };
  const ids = (n) => Array.from({ length: n }, (_, i) => `FILL(m${i + 1}, 0)`).join(', ');
  const Resources = {};
  const add = (id, resource) => {
    if (Resources[id]) throw new Error(`two alarms would both be ${id}: rename a policy or group so their names differ by more than a hyphen`);
    Resources[id] = resource;
  };
  // Each Region's runs emit under their own Region dimension: one alarm per Region the config names
  // (ids and names carry it), or the deployment's Region alone (no suffix) when it names none.
  const copying = ((config.snapshot || {}).policies || []).some((p) => (p.copyTo || []).length > 0);
  for (const { region, id: rid, name: rname } of alarmRegions(config.regions)) {
    const stale = [m('StaleVolumes', { Job: 'snapshot' }, 'Maximum', region), m('StaleVolumes', { Job: 'prune' }, 'Maximum', region)];
    const failed = JOBS.map((j) => m('ItemsFailed', { Job: j }, 'Sum', region));
    add(`StaleVolumes${rid}Alarm`, math(`stale-volumes${rname}`, `EC2 Caretaker (${stage}): a volume has no recent completed snapshot; the run's e-mail lists which.`, `MAX([${ids(stale.length)}])`, stale, 3600));
    add(`FailedItems${rid}Alarm`, math(`failed-items${rname}`, `EC2 Caretaker (${stage}): a run had failed items; its e-mail names them.`, `SUM([${ids(failed.length)}])`, failed, 300));
    if (copying) {
      // A copy in error stays listed by every sweep until it is deleted: hourly, like stale volumes.
      add(`CopyErrors${rid}Alarm`, math(`copy-errors${rname}`, `EC2 Caretaker (${stage}): a cross-Region copy ended in error; the snapshot run's e-mail says which and why.`, 'FILL(m1, 0)', [m('CopyErrors', { Job: 'snapshot' }, 'Maximum', region)], 3600));
    }
  }
  for (const policy of (config.snapshot || {}).policies || []) {
    const { period, missing } = backupAgeWindow(policy);
    for (const { region, id: rid, name: rname } of alarmRegions(policy.regions || config.regions)) {
      const dims = { Job: 'snapshot', rest: { Policy: policy.name } };
      add(
        `BackupAge${pascal(policy.name)}${rid}Alarm`,
        math(
          `backup-age-${policy.name}${rname}`,
          `EC2 Caretaker (${stage}): policy ${policy.name}${rname ? ` in ${region}` : ''}: the worst volume's newest completed snapshot is older than the policy's guard (StaleAfterHours), or no snapshot run of the policy measured a backup age for ${period / 3600} h (runs stopped, or it covers no volume).`,
          'm1 - m2',
          [m('WorstBackupAgeHours', dims, 'Maximum', region), m('StaleAfterHours', dims, 'Maximum', region)],
          period,
          { DatapointsToAlarm: 1, TreatMissingData: missing },
        ),
      );
    }
  }
  for (const g of ((config.failover || {}).groups || []).map((x) => x.name)) {
    const none = m('NoHealthyMember', { Job: 'failover', rest: { Group: g } }, 'Maximum');
    add(
      `NoHealthyMember${pascal(g)}Alarm`,
      math(`no-healthy-member-${g}`, `EC2 Caretaker (${stage}): every member of failover group ${g} is down; the record was left as it was.`, 'FILL(m1, 0)', [none], 60),
    );
  }
  return Resources;
}

const HOME = '${AWS::Region}';

/** The Regions to alarm on: a config's explicit list, else the deployment's (`regions: all` is only known at run time). */
function alarmRegions(regions) {
  if (!Array.isArray(regions) || regions.length === 0) return [{ region: HOME, id: '', name: '' }];
  return regions.map((r) => ({ region: r, id: pascal(r), name: `-${r}` }));
}

const pascal = (name) => name.replace(/(^|-)([a-z0-9])/g, (_, __, c) => c.toUpperCase());

const HOUR = 3600;
/** PutMetricAlarm: Period × EvaluationPeriods is at most 7 days (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html). */
const MAX_EVALUATION_SECONDS = 7 * 24 * HOUR;

/**
 * The backup-age alarm's period and missing-data treatment for a policy. Each snapshot run emits
 * the age and the guard once, so a period must hold one run when all is well: the schedule's
 * longest gap between firings (the functions' own code, shared/snapshot/schedule-interval.ts)
 * plus the run's lateness (an hour, or the flexible window), in whole hours. Then a period with no
 * data means the runs stopped (a disabled schedule, a function that fails before measuring) or
 * the policy covers no volume: missing data is *breaching*, so it alarms instead of going quiet
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarms-and-missing-data.html).
 * CloudWatch cannot look back further than 7 days: a weekly schedule gets exactly 7 days (a
 * 7-day period holds one weekly firing; the lateness only matters for one near the period's
 * edge), and one that fires less often ignores missing data (its stopped runs still show as stale
 * volumes in the daily prune run, which the stale-volumes alarm watches).
 */
function backupAgeWindow(policy) {
  const interval = scheduleIntervalMs(policy.schedule);
  if (interval === undefined) return { period: MAX_EVALUATION_SECONDS, missing: 'ignore' };
  const late = Math.max(HOUR, (policy.flexibleWindowMinutes || 0) * 60);
  const period = Math.min(MAX_EVALUATION_SECONDS, Math.ceil((interval / 1000 + late) / HOUR) * HOUR);
  return { period, missing: interval / 1000 <= MAX_EVALUATION_SECONDS ? 'breaching' : 'ignore' };
}

/** The schedule logic the functions run, loaded from its TypeScript source (tsx, a dev dependency of the packaging step). */
function scheduleIntervalMs(schedule) {
  const { require: requireTs } = require('tsx/cjs/api');
  return requireTs('../shared/snapshot/schedule-interval.ts', __filename).scheduleIntervalMs(schedule);
}

/** serverless.yml `resources`: the dashboard and the alarms. */
function resources({ resolveVariable }) {
  return deployment(resolveVariable).then((d) => {
    const { stage } = d;
    const service = `${d.service}-${stage}`;
    const catalog = loadCatalog();
    const config = readConfig();
    const alarmResources = alarms(config, catalog, { service, stage });
    const alarmArns = Object.keys(alarmResources).map((id) => ({ 'Fn::GetAtt': [id, 'Arn'] }));
    const body = dashboardBody(panels(config, catalog), { service, namespace: catalog.namespace, alarmArns: alarmArns.map((_, i) => `@@ALARM${i}@@`) });
    // Alarm ARNs are only known at deploy: Fn::Sub fills them in with the Region.
    let text = JSON.stringify(body);
    const vars = {};
    alarmArns.forEach((arn, i) => {
      text = text.replace(`"@@ALARM${i}@@"`, `"\${Alarm${i}}"`);
      vars[`Alarm${i}`] = arn;
    });
    return {
      Resources: {
        ...alarmResources,
        Dashboard: {
          Type: 'AWS::CloudWatch::Dashboard',
          Properties: { DashboardName: dashboardName(d), DashboardBody: { 'Fn::Sub': [text, vars] } },
        },
      },
    };
  });
}

module.exports = { resources, panels, dashboardBody, alarms, backupAgeWindow, loadCatalog, LIMITS };
