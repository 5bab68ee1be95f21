import { EC2Client } from '@aws-sdk/client-ec2';
import { SNSClient } from '@aws-sdk/client-sns';
import { SSMClient } from '@aws-sdk/client-ssm';
import { defineHandler, type HandlerDeps, lambdaDeps } from '../shared/lambda/handler';
import { snapshotEventSchema } from '../shared/snapshot/event';
import { runSnapshot } from '../shared/snapshot/run-snapshot';

/** Scheduled per snapshot policy: `{ "policy": "daily", "time": "<scheduled time>" }`. */
export const makeHandler = (deps: HandlerDeps = lambdaDeps('snapshot-volumes', { ec2: EC2Client, ssm: SSMClient, sns: SNSClient })) =>
  defineHandler(
    {
      name: 'snapshot-volumes',
      job: 'snapshot',
      event: snapshotEventSchema,
      dryRun: (event) => event.dryRun,
      run: (event, ctx, config) => runSnapshot(ctx, config, { policy: event.policy, time: event.time }),
    },
    deps,
  );

export const handler = makeHandler();
