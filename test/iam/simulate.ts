import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { parse } from 'yaml';
import type { CallLogEntry } from '../../sandbox/call-recorder';
import type { IamRequest } from '../../sandbox/iam-requests';

const require = createRequire(import.meta.url);
type Statement = Record<string, unknown>;
type StatementsOf = (config: Config, functionName?: string) => Statement[];
const iam = require('../../deploy/iam.cjs') as {
  snapshotStatements: StatementsOf;
  pruneStatements: StatementsOf;
  failoverStatements: StatementsOf;
  degradedStatements: StatementsOf;
  baseline(functionName: string): Statement[];
  functionStatements(fn: string, config: Config, functionName: string, continuationRoleName: string): Statement[];
  roles(sls: { resolveVariable(v: string): Promise<string> }): Promise<{ Resources: Record<string, { Properties: { RoleName: string; Policies: Array<{ PolicyDocument: { Statement: Statement[] } }> } }> }>;
};

export type Config = Record<string, any>;

/** The deployment the roles are resolved for (the sandbox's account and Region). */
export const DEPLOYMENT = { partition: 'aws', region: 'us-east-1', accountId: '123456789012', service: 'ec2-caretaker', stage: 'test' };
const prefix = `${DEPLOYMENT.service}-${DEPLOYMENT.stage}`;
const names = require('../../deploy/names.cjs') as { roleName(d: { service: string; stage: string; region: string }, fn: string, suffix?: string): string };
export const ALERT_KEY_ARN = `arn:aws:kms:${DEPLOYMENT.region}:${DEPLOYMENT.accountId}:key/alert-key`;

export const FUNCTIONS: Record<string, { role: string; statements: StatementsOf }> = {
  'snapshot-volumes': { role: 'SnapshotVolumesRole', statements: iam.snapshotStatements },
  'prune-snapshots': { role: 'PruneSnapshotsRole', statements: iam.pruneStatements },
  'dns-failover': { role: 'DnsFailoverRole', statements: iam.failoverStatements },
  'replace-degraded': { role: 'ReplaceDegradedRole', statements: iam.degradedStatements },
};

export function readYaml(file: string): Config {
  return parse(readFileSync(file, 'utf8')) ?? {};
}

/**
 * The role's policy exactly as `deploy/iam.cjs` writes it into the template, with the template's
 * intrinsics resolved as CloudFormation would: `Fn::Sub` pseudo parameters, `Ref AlertTopic`
 * (the topic ARN), `Fn::GetAtt` of the key and queue.
 */
export function policyFor(fn: string, config: Config, alertTopicArn: string): { Version: string; Statement: Statement[] } {
  // The function's deployed name: prune's continuation statements are scoped to it.
  const statements = iam.functionStatements(fn, config, `${prefix}-${fn}`, names.roleName(DEPLOYMENT, fn, 'continue'));
  return { Version: '2012-10-17', Statement: resolve(statements, alertTopicArn) as Statement[] };
}

/** The template's role statements through the same resolution (to prove the template holds what is simulated). */
export async function templateRoles(configFile: string): Promise<Record<string, Statement[]>> {
  const previous = process.env.CARETAKER_CONFIG_FILE;
  process.env.CARETAKER_CONFIG_FILE = configFile;
  try {
    const { Resources } = await iam.roles({ resolveVariable: async (v) => (v === 'self:service' ? DEPLOYMENT.service : v === 'self:provider.region' ? DEPLOYMENT.region : DEPLOYMENT.stage) });
    return Object.fromEntries(Object.entries(Resources).map(([id, r]) => [id, r.Properties.Policies.flatMap((p) => p.PolicyDocument.Statement)]));
  } finally {
    if (previous === undefined) delete process.env.CARETAKER_CONFIG_FILE;
    else process.env.CARETAKER_CONFIG_FILE = previous;
  }
}

export function resolve(node: unknown, alertTopicArn: string): unknown {
  if (Array.isArray(node)) return node.map((n) => resolve(n, alertTopicArn));
  if (!node || typeof node !== 'object') return node;
  const o = node as Record<string, unknown>;
  if ('Fn::Sub' in o) {
    return String(o['Fn::Sub'])
      .replaceAll('${AWS::Partition}', DEPLOYMENT.partition)
      .replaceAll('${AWS::Region}', DEPLOYMENT.region)
      .replaceAll('${AWS::AccountId}', DEPLOYMENT.accountId);
  }
  if ('Ref' in o) {
    if (o.Ref === 'AlertTopic') return alertTopicArn;
    throw new Error(`unresolved Ref ${String(o.Ref)}`);
  }
  if ('Fn::GetAtt' in o) {
    const [resource, attribute] = o['Fn::GetAtt'] as [string, string];
    if (resource === 'AlertKey' && attribute === 'Arn') return ALERT_KEY_ARN;
    if (resource === 'FailedInvocationsQueue' && attribute === 'Arn') return `arn:aws:sqs:${DEPLOYMENT.region}:${DEPLOYMENT.accountId}:${prefix}-failed-invocations`;
    throw new Error(`unresolved Fn::GetAtt ${resource}.${attribute}`);
  }
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, resolve(v, alertTopicArn)]));
}

/** Evaluates one request against one identity policy with AWS's action, resource and condition-key data. */
export async function decide(policy: unknown, request: IamRequest, resourcePolicy?: unknown): Promise<string> {
  // A probe that names no Region is a call in the deployment's Region (Route 53's endpoint is in us-east-1).
  if (!('aws:RequestedRegion' in request.context)) {
    request = { ...request, context: { ...request.context, 'aws:RequestedRegion': request.action.startsWith('route53:') ? 'us-east-1' : DEPLOYMENT.region } };
  }
  const result = await runSimulation(
    {
      request: {
        principal: `arn:aws:iam::${DEPLOYMENT.accountId}:role/caretaker-under-test`,
        action: request.action,
        resource: { resource: request.resource, accountId: DEPLOYMENT.accountId },
        contextVariables: request.context,
      },
      identityPolicies: [{ name: 'least-privilege', policy }],
      ...(resourcePolicy ? { resourcePolicy } : {}),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
    },
    { simulationMode: 'Strict' },
  );
  if (result.resultType === 'error') return `error: ${JSON.stringify(result.errors)}`;
  return result.overallResult;
}

/** Every entry the sandbox recorded in this test run (sandbox/call-recorder.ts), deduplicated across processes. */
export function readCallLog(dir: string): CallLogEntry[] {
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.jsonl'));
  } catch {
    return [];
  }
  const seen = new Map<string, CallLogEntry>();
  for (const f of files) {
    for (const line of readFileSync(join(dir, f), 'utf8').split('\n')) {
      if (!line) continue;
      const entry = JSON.parse(line) as CallLogEntry;
      seen.set(JSON.stringify(entry), entry);
    }
  }
  return [...seen.values()];
}

/** Deep merge where arrays concatenate: the fixture config plus what one call implies. */
export function merge(base: Config, extra: Config): Config {
  const out: Config = { ...base };
  for (const [k, v] of Object.entries(extra)) {
    if (Array.isArray(v)) out[k] = [...(Array.isArray(base[k]) ? base[k] : []), ...v];
    else if (v && typeof v === 'object') out[k] = merge(base[k] && typeof base[k] === 'object' ? base[k] : {}, v);
    else out[k] = v;
  }
  return out;
}

const idOf = (arn: string) => arn.slice(arn.lastIndexOf('/') + 1);

/**
 * Cross-Region copies: the copying policy (from the copy's tags) and the destination Region and key
 * the call implies (the new snapshot's Region, or the Region EC2 uses the key through).
 */
function copyScope(fn: string, r: IamRequest): Config | undefined {
  const ctx = r.context;
  const policy = String(ctx['aws:RequestTag/caretaker:policy'] ?? ctx['aws:ResourceTag/caretaker:policy'] ?? 'scope');
  const regionOfArn = r.resource.split(':')[3] ?? '';
  const copying =
    (fn === 'snapshot-volumes' && (r.action === 'ec2:CopySnapshot' || ctx['ec2:CreateAction'] === 'CopySnapshot' || (r.action === 'ec2:DeleteSnapshot' && ctx['aws:ResourceTag/caretaker:copy-of'] !== undefined))) ||
    (fn === 'prune-snapshots' && r.action === 'ec2:DeleteSnapshot' && ctx['aws:ResourceTag/caretaker:copy-of'] !== undefined);
  const viaKms = fn === 'snapshot-volumes' && r.action.startsWith('kms:') && typeof ctx['kms:ViaService'] === 'string';
  // A copy sweep's continuation (shared/copy/continuation.ts) is scheduled only by a config that copies somewhere.
  const sweep = fn === 'snapshot-volumes' && (r.action === 'scheduler:CreateSchedule' || (r.action === 'iam:PassRole' && ctx['iam:PassedToService'] === 'scheduler.amazonaws.com'));
  if (sweep) return { snapshot: { policies: [{ name: 'scope', schedule: 'rate(1 day)', selector: { instanceIds: [] }, copyTo: [{ region: 'eu-west-1', retain: { daily: 1 } }] }] } };
  if (!copying && !viaKms) return undefined;
  const region = viaKms ? String(ctx['kms:ViaService']).split('.')[1]! : regionOfArn;
  const target = { region, retain: { daily: 1 }, ...(viaKms ? { kmsKeyId: r.resource } : {}) };
  return { snapshot: { policies: [{ name: policy, schedule: 'rate(1 day)', selector: { instanceIds: [] }, copyTo: [target] }] } };
}

/**
 * The config a scenario test must have had for the code to make this call: the zone, names and
 * types it changed, the SSM document and instance it ran on, the Elastic IP and member it moved,
 * the role it passed, the unmanaged volume it pruned, the action it chose. Only these
 * config-named values come from the call; what the roles check beyond them (tags at creation,
 * caretaker:managed, remediation state, condition keys, resource types) must hold for the fixture.
 */
export function scopeOf(fn: string, r: IamRequest): Config {
  return merge(configScope(fn, r), regionScope(fn, r));
}

/**
 * A call sent to another Region than the deployment's was made because the config named that
 * Region: top-level `regions` for the fleet jobs, the group's own `region` for failover. (Route 53's
 * endpoint is in us-east-1 whatever the config says: no Region follows from its calls.)
 */
function regionScope(fn: string, r: IamRequest): Config {
  const region = r.context['aws:RequestedRegion'] as string | undefined;
  if (!region || region === DEPLOYMENT.region || r.action.startsWith('route53:')) return {};
  if (fn === 'dns-failover') return { failover: { groups: [{ name: 'scope-region', region, mode: 'elastic-ip', allocationId: 'eipalloc-0123456789abcdef0', members: [] }] } };
  return { regions: [DEPLOYMENT.region, region] };
}

function configScope(fn: string, r: IamRequest): Config {
  const ctx = r.context;
  // A run lists the enabled Regions only when its config names Regions (shared/engine/regions.ts).
  if (r.action === 'ec2:DescribeRegions') return { regions: 'all' };
  const copy = copyScope(fn, r);
  if (copy) return copy;
  // The scan reads the Health API only when the job covers a Region besides the deployment's.
  if (fn === 'replace-degraded' && r.action.startsWith('health:')) return { regions: [DEPLOYMENT.region, 'eu-west-1'] };
  switch (`${fn} ${r.action}`) {
    case 'dns-failover route53:ChangeResourceRecordSets': {
      const names = ctx['route53:ChangeResourceRecordSetsNormalizedRecordNames'] as string[];
      const types = ctx['route53:ChangeResourceRecordSetsRecordTypes'] as string[];
      return { failover: { groups: names.map((name, i) => ({ name: `scope${i}`, hostedZoneId: idOf(r.resource), recordName: name, type: types[i], members: [] })) } };
    }
    case 'dns-failover route53:GetHostedZone':
    case 'dns-failover route53:ListResourceRecordSets':
      return { failover: { groups: [{ name: 'scope', hostedZoneId: idOf(r.resource), recordName: 'scope.invalid', members: [] }] } };
    case 'dns-failover ec2:AssociateAddress':
      return r.resource.includes(':elastic-ip/')
        ? { failover: { groups: [{ name: 'scope', mode: 'elastic-ip', allocationId: idOf(r.resource), members: [] }] } }
        : { failover: { groups: [{ name: 'scope', mode: 'elastic-ip', allocationId: 'eipalloc-0123456789abcdef0', members: [{ instanceId: idOf(r.resource) }] }] } };
    case 'replace-degraded route53:ChangeResourceRecordSets':
      return { degraded: { records: (ctx['route53:ChangeResourceRecordSetsNormalizedRecordNames'] as string[]).map((name) => ({ hostedZoneId: idOf(r.resource), name })) } };
    case 'replace-degraded iam:PassRole':
      return { degraded: { instanceRoles: [r.resource.replace(/^arn:aws:iam::\d+:role\//, '')] } };
    case 'snapshot-volumes ssm:SendCommand':
      return r.resource.includes(':document/')
        ? { snapshot: { policies: [{ name: 'scope', consistency: 'application', application: { document: idOf(r.resource) }, selector: { instanceIds: [] } }] } }
        : { snapshot: { policies: [{ name: 'scope', consistency: 'application', application: { document: 'scope' }, selector: { instanceIds: [idOf(r.resource)] } }] } };
    case 'prune-snapshots ec2:DeleteSnapshot': {
      if (ctx['aws:ResourceTag/caretaker:managed'] === 'true' || !ctx['ec2:ParentVolume']) return {};
      const volumeId = idOf(String(ctx['ec2:ParentVolume']));
      return { prune: { volumes: [{ volumeId, olderThanDays: 1 }], includeUnmanaged: { volumeIds: [volumeId] } } };
    }
  }
  // A remediation the scenario configured as the default action rather than by the owner's tag.
  if (fn === 'replace-degraded' && r.resource.includes(':instance/') && ctx['aws:ResourceTag/caretaker:remediation'] && !ctx['aws:ResourceTag/caretaker:on-degraded']) {
    return { degraded: { defaultAction: String(ctx['aws:ResourceTag/caretaker:remediation']).split(':')[0] } };
  }
  return {};
}
