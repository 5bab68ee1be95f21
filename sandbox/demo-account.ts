import { parseConfig } from '../shared/config/load';
import type { Config } from '../shared/config/schema';
import { SandboxAccount } from './account';
import { seedDegradedDemo } from './demo-degraded';
import { FleetBuilder } from './fleet';
import type { Instance } from '@aws-sdk/client-ec2';

/** The demo account's Regions: the home Region first, then the one its copies go to. */
export const DEMO_REGIONS = ['us-east-1', 'eu-west-1'] as const;

/** The built-in sandbox account the demo and `--sandbox` runs use: a small, realistic fleet in two Regions. */
export interface DemoAccount {
  sandbox: SandboxAccount;
  /** Seeds the home Region (us-east-1). */
  fleet: FleetBuilder;
  /** Seeds the second Region (eu-west-1). */
  euFleet: FleetBuilder;
  config: Config;
  topicArn: string;
  /** One line per notable resource, for the demo's introduction. */
  inventory: string[];
}

/** The demo's config document, validated exactly like a deployed one. */
export const DEMO_CONFIG = {
  alerts: { subjectPrefix: '[caretaker-demo]' },
  regions: [...DEMO_REGIONS],
  snapshot: {
    policies: [
      {
        // Both Regions: web fleets in us-east-1 and eu-west-1. Monthly snapshots go to the archive
        // tier after 30 days (12 monthly ones keep a snapshot ≥ 308 days: well past the 90-day minimum).
        name: 'daily',
        schedule: 'cron(0 3 * * ? *)',
        selector: { tags: { 'caretaker:snapshot': ['daily'] } },
        excludeVolumeTags: { 'caretaker:no-snapshot': ['true'] },
        extraTags: { 'cost-center': 'ops' },
        retain: { daily: 7, weekly: 4, monthly: 12, archive: { afterDays: 30, rules: ['monthly'] } },
      },
      {
        // The database lives in us-east-1; its consistent snapshots are copied to eu-west-1.
        name: 'db-consistent',
        schedule: 'cron(30 2 * * ? *)',
        regions: ['us-east-1'],
        selector: { tags: { 'caretaker:snapshot': ['db-consistent'] } },
        consistency: 'application',
        application: { document: 'caretaker-fsfreeze', parameters: { mountPoints: ['/var/lib/mysql'] }, timeoutSeconds: 30 },
        retain: { keepLast: 14 },
        copyTo: [{ region: 'eu-west-1', retain: { keepLast: 7 } }],
      },
    ],
  },
};

export function buildDemoAccount(start = new Date('2026-11-22T03:00:00Z')): DemoAccount {
  const sandbox = new SandboxAccount({ start, timeScale: 1, seed: 7, regions: [...DEMO_REGIONS] });
  const fleet = new FleetBuilder(sandbox);
  const euFleet = new FleetBuilder(sandbox, 'eu-west-1');
  const topicArn = sandbox.sns.addTopic('caretaker-demo-alerts');
  sandbox.ssm.documents.add('caretaker-fsfreeze');
  const inventory: string[] = [];
  const add = (label: string, ...spec: Parameters<FleetBuilder['instance']>) => {
    const i = fleet.instance(...spec);
    inventory.push(`${i.InstanceId} ${label}`);
    return i;
  };
  const web1 = add('web-1: 2 volumes, daily snapshots', { name: 'web-1', tags: { 'caretaker:snapshot': 'daily' }, volumes: [{}, { sizeGiB: 50 }] });
  add('web-2: 3 volumes (scratch volume opted out)', {
    name: 'web-2',
    tags: { 'caretaker:snapshot': 'daily' },
    volumes: [{}, { sizeGiB: 50 }, { sizeGiB: 200, tags: { 'caretaker:no-snapshot': 'true' } }],
  });
  add('db-1: MySQL, application-consistent + daily', {
    name: 'db-1',
    tags: { 'caretaker:snapshot': 'daily,db-consistent' },
    volumes: [{}, { sizeGiB: 500, type: 'io2' }],
  });
  add('batch-1: stopped, still snapshotted', { name: 'batch-1', tags: { 'caretaker:snapshot': 'daily' }, state: 'stopped' });
  add('scratch-1: no snapshot tag, left alone', { name: 'scratch-1' });
  inventory.push(...seedSnapshotHistory(sandbox, fleet, web1));
  const degraded = seedDegradedDemo(sandbox, fleet, add);
  inventory.push('eu-west-1:');
  const euWeb = euFleet.instance({ name: 'web-eu-1', tags: { 'caretaker:snapshot': 'daily' }, volumes: [{}, { sizeGiB: 50 }] });
  inventory.push(`${euWeb.InstanceId} web-eu-1: 2 volumes, daily snapshots (the same policy as us-east-1's web fleet)`);
  return { sandbox, fleet, euFleet, config: parseConfig({ ...DEMO_CONFIG, degraded: degraded.config }, 'demo config'), topicArn, inventory: ['us-east-1:', ...inventory] };
}

const DAY = 86_400_000;

/**
 * 60 days of web-1's daily snapshots, as the snapshot job would have left them, for the prune
 * steps: one is baked into an AMI, one is tagged caretaker:keep, the rest follow `retain`.
 */
function seedSnapshotHistory(sandbox: SandboxAccount, fleet: FleetBuilder, instance: Instance): string[] {
  const volumes = (instance.BlockDeviceMappings ?? []).map((m) => sandbox.ec2.volumes.get(m.Ebs!.VolumeId!)!.data);
  const slot = (days: number) => new Date(sandbox.clock.nowMs() - days * DAY).toISOString();
  const ids = new Map<string, string>();
  for (const volume of volumes) {
    for (let days = 1; days <= 60; days++) {
      // Started a few seconds after its slot, as a scheduled run starts them (not at the slot's exact ms).
      const snapshot = fleet.snapshot(volume, days * DAY - 5_000, {
        'caretaker:managed': 'true',
        'caretaker:policy': 'daily',
        'caretaker:slot': slot(days),
        'caretaker:instance': instance.InstanceId!,
        ...(days === 40 && volume === volumes[1] ? { 'caretaker:keep': 'legal hold' } : {}),
      });
      ids.set(`${volume.VolumeId}/${days}`, snapshot.SnapshotId!);
    }
  }
  const golden = fleet.image([ids.get(`${volumes[0]!.VolumeId}/45`)!], 'web-golden');
  return [
    `${volumes.length * 60} daily snapshots of web-1 from the last 60 days (policy daily: retain daily 7, weekly 4, monthly 12; monthly ones archived after 30 days)`,
    `${golden.ImageId} web-golden: an AMI built from one 45-day-old snapshot; one 40-day-old snapshot tagged caretaker:keep`,
  ];
}
