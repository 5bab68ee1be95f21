import { EC2Client } from '@aws-sdk/client-ec2';
import { SNSClient } from '@aws-sdk/client-sns';
import { SSMClient } from '@aws-sdk/client-ssm';
import { defineHandler, type HandlerDeps, lambdaDeps } from '../shared/lambda/handler';
import { snapshotEventSchema } from '../shared/snapshot/event';
import { runSnapshot } from '../shared/snapshot/run-snapshot';
import { runVerifySnapshots } from '../shared/snapshot/run-verify';

/**
 * Scheduled per snapshot policy: `{ "policy": "daily", "time": "<scheduled time>" }`; also
 * invoked by EBS's failed-snapshot events (EventBridge rule in serverless.yml), which retry the slot once.
 */
export const makeHandler = (deps: HandlerDeps = lambdaDeps('snapshot-volumes', { ec2: EC2Client, ssm: SSMClient, sns: SNSClient })) =>
  defineHandler(
    {
      name: 'snapshot-volumes',
      job: 'snapshot',
      event: snapshotEventSchema,
      dryRun: (event) => ('kind' in event ? undefined : event.dryRun),
      run: (event, ctx, config) => ('kind' in event ? runVerifySnapshots(ctx, config, event) : runSnapshot(ctx, config, { policy: event.policy, time: event.time })),
    },
    deps,
  );

export const handler = makeHandler();
