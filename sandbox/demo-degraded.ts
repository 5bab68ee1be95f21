import type { Instance } from '@aws-sdk/client-ec2';
import type { SandboxAccount } from './account';
import { lifecycleOf } from './ec2-lifecycle';
import type { FleetBuilder } from './fleet';

/** The demo's Health event time and the retirement date AWS announced. */
export const DEMO_RETIREMENT = { noticeAt: '2026-11-22T03:05:00Z', retireAt: 'Sun, 06 Dec 2026 00:00:00 GMT' };

/**
 * Seeds the degraded-host part of the demo: app-1 on a retiring host (scheduled event visible to
 * the scan, Health event for the demo step), with an Elastic IP and a DNS record, and shortens
 * EC2's lifecycle so a relaunch plays in seconds of real time. Returns the `degraded` config section.
 */
export function seedDegradedDemo(sandbox: SandboxAccount, fleet: FleetBuilder, add: (label: string, ...spec: Parameters<FleetBuilder['instance']>) => Instance) {
  const lifecycle = lifecycleOf(sandbox);
  Object.assign(lifecycle.timings, { launchMs: 800, stopMs: 800, statusOkMs: 1200, imageAvailableMs: 1000 });
  Object.assign(lifecycle.volumes, { attachMs: 200, detachMs: 400 });
  lifecycle.network.detachMs = 300;
  sandbox.elb.timings.healthyMs = 500;
  const app = add('app-1: on a retiring host (caretaker:on-degraded=relaunch), Elastic IP 52.20.0.10, DNS app.example.com', {
    name: 'app-1',
    tags: { 'caretaker:on-degraded': 'relaunch', role: 'app' },
    volumes: [{}, { sizeGiB: 20 }],
  });
  lifecycleOf(sandbox).userData.set(app.InstanceId!, Buffer.from('#!/bin/bash\nsystemctl enable --now app').toString('base64'));
  fleet.elasticIp('52.20.0.10', app.InstanceId);
  sandbox.ec2.healthOf(app.InstanceId!).events = [
    { InstanceEventId: 'instance-event-0d3e4f5a6b7c8d9e0', Code: 'instance-retirement', Description: 'The instance is running on degraded hardware', NotBefore: new Date(DEMO_RETIREMENT.retireAt) },
  ];
  const zone = sandbox.route53.addZone('example.com');
  return {
    app,
    zoneId: zone.Id!,
    config: {
      defaultAction: 'notify',
      records: [{ tags: { role: ['app'] }, hostedZoneId: zone.Id!, name: 'app.example.com', ttl: 60, address: 'public' }],
      // Sandbox-speed polling; production keeps the defaults (15 s first poll).
      waiters: { minDelaySeconds: 0.1, maxDelaySeconds: 0.4, stoppedSeconds: 30, runningSeconds: 30, statusOkSeconds: 30, imageSeconds: 30, attachSeconds: 30, forceStopAfterSeconds: 30, healthySeconds: 30 },
    },
  };
}

/** The AWS Health event EventBridge delivers for app-1, in the real shape. */
export function demoHealthEvent(sandbox: SandboxAccount, instanceId: string) {
  const code = 'AWS_EC2_PERSISTENT_INSTANCE_RETIREMENT_SCHEDULED';
  return {
    version: '0',
    id: '0f9e8d7c-6b5a-4f3e-8d2c-1b0a9f8e7d6c',
    'detail-type': 'AWS Health Event',
    source: 'aws.health',
    account: sandbox.accountId,
    time: DEMO_RETIREMENT.noticeAt,
    region: sandbox.region,
    resources: [instanceId],
    detail: {
      eventArn: `arn:aws:health:${sandbox.region}::event/EC2/${code}/${code}_DEMO-1`,
      service: 'EC2',
      eventTypeCode: code,
      eventTypeCategory: 'scheduledChange',
      eventScopeCode: 'ACCOUNT_SPECIFIC',
      statusCode: 'upcoming',
      startTime: DEMO_RETIREMENT.retireAt,
      lastUpdatedTime: 'Sun, 22 Nov 2026 03:05:00 GMT',
      eventRegion: sandbox.region,
      affectedAccount: sandbox.accountId,
      page: '1',
      totalPages: '1',
      eventDescription: [{ language: 'en_US', latestDescription: 'EC2 has detected degradation of the underlying hardware hosting your Amazon EC2 instance.' }],
      affectedEntities: [{ entityValue: instanceId }],
    },
  };
}
