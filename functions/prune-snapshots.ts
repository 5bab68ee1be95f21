import { EC2Client } from '@aws-sdk/client-ec2';
import { SNSClient } from '@aws-sdk/client-sns';
import { defineHandler, type HandlerDeps, lambdaDeps } from '../shared/lambda/handler';
import { pruneEventSchema } from '../shared/prune/event';
import { runPrune } from '../shared/prune/run-prune';

/**
 * Scheduled by `prune.schedule`: `{ "time": "<scheduled time>" }`. Stops starting deletions 30 s
 * before the invocation's time budget ends; the next run picks up the rest.
 */
export const makeHandler = (deps: HandlerDeps = lambdaDeps('prune-snapshots', { ec2: EC2Client, sns: SNSClient })) =>
  defineHandler(
    {
      name: 'prune-snapshots',
      job: 'prune',
      event: pruneEventSchema,
      dryRun: (event) => event.dryRun,
      run: (_event, ctx, config) => runPrune(ctx, config),
    },
    deps,
  );

export const handler = makeHandler();
