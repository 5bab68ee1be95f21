import { EC2Client } from '@aws-sdk/client-ec2';
import { SNSClient } from '@aws-sdk/client-sns';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { defineHandler, type HandlerDeps, lambdaDeps } from '../shared/lambda/handler';
import { pruneEventSchema } from '../shared/prune/event';
import { runPrune } from '../shared/prune/run-prune';
import { continuationTarget } from '../shared/prune/continuation';

/**
 * Scheduled by `prune.schedule`: `{ "time": "<scheduled time>" }`. Stops starting deletions 30 s
 * before the invocation's time budget ends and schedules a continuation for the next whole minute
 * (`{ "continuation": { "origin", "run", "approved", "rules" } }`, bounded by
 * `prune.maxContinuationRuns`), which starts deleting what this run approved while it still reads.
 */
export const makeHandler = (deps: HandlerDeps = lambdaDeps('prune-snapshots', { ec2: EC2Client, sns: SNSClient, scheduler: SchedulerClient })) =>
  defineHandler(
    {
      name: 'prune-snapshots',
      job: 'prune',
      event: pruneEventSchema,
      dryRun: (event) => event.dryRun,
      run: (event, ctx, config, lambda) => runPrune(ctx, config, { continuation: continuationTarget(event, lambda, process.env.CONTINUATION_ROLE_ARN, ctx.runId) }),
    },
    deps,
  );

export const handler = makeHandler();
