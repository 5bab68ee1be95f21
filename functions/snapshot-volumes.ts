import { EC2Client } from '@aws-sdk/client-ec2';
import { SNSClient } from '@aws-sdk/client-sns';
import { SSMClient } from '@aws-sdk/client-ssm';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { copyContinuationTarget } from '../shared/copy/continuation';
import { sweepCopies } from '../shared/copy/sweep-copies';
import { defineHandler, type HandlerDeps, lambdaDeps } from '../shared/lambda/handler';
import { snapshotEventSchema } from '../shared/snapshot/event';
import { runSnapshot } from '../shared/snapshot/run-snapshot';
import { runVerifySnapshots } from '../shared/snapshot/run-verify';

/**
 * Scheduled per snapshot policy: `{ "policy": "daily", "time": "<scheduled time>" }`; also
 * invoked by EBS's failed-snapshot events (EventBridge rule in serverless.yml), which retry the slot once
 * (and, for policies with copyTo, by succeeded ones, which copy), and by a copy sweep's
 * continuation `{ "copies": { "policy", "run" } }` while copies wait for a destination's limit.
 */
export const makeHandler = (deps: HandlerDeps = lambdaDeps('snapshot-volumes', { ec2: EC2Client, ssm: SSMClient, sns: SNSClient, scheduler: SchedulerClient })) =>
  defineHandler(
    {
      name: 'snapshot-volumes',
      job: 'snapshot',
      event: snapshotEventSchema,
      dryRun: (event) => ('kind' in event ? undefined : event.dryRun),
      run: (event, ctx, config, lambda) => {
        // Copies left waiting for a destination's limit are swept again by a one-time schedule (this role, this function).
        const copyContinuation = copyContinuationTarget(lambda, process.env.COPY_CONTINUATION_ROLE_ARN, 'copies' in event ? event.copies : undefined);
        if ('copies' in event) return sweepCopies(ctx, config, event.copies.policy, copyContinuation);
        if ('kind' in event) return runVerifySnapshots(ctx, config, event, copyContinuation);
        return runSnapshot(ctx, config, { policy: event.policy, time: event.time, copyContinuation });
      },
    },
    deps,
  );

export const handler = makeHandler();
