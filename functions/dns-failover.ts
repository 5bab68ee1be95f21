import { EC2Client } from '@aws-sdk/client-ec2';
import { Route53Client } from '@aws-sdk/client-route-53';
import { SNSClient } from '@aws-sdk/client-sns';
import { failoverEventSchema, manualOptions } from '../shared/failover/event';
import { type HealthMemory, runFailover } from '../shared/failover/run-failover';
import { defineHandler, type HandlerDeps, lambdaDeps } from '../shared/lambda/handler';

/**
 * Scheduled every minute with reserved concurrency 1: each invocation watches the groups until
 * shortly before its timeout. Member health lives in the container between invocations (the
 * same warm container serves the next minute), so a counter is not reset at every minute.
 */
export const makeHandler = (deps: HandlerDeps = lambdaDeps('dns-failover', { route53: Route53Client, ec2: EC2Client, sns: SNSClient }), memory: HealthMemory = new Map()) =>
  defineHandler(
    {
      name: 'dns-failover',
      job: 'failover',
      event: failoverEventSchema,
      dryRun: (event) => manualOptions(event).dryRun,
      run: (event, ctx, config, _lambda, observe) => {
        const { once, groups } = manualOptions(event);
        return runFailover(ctx, config.failover, { once, groups, memory, onPass: observe.failoverPass, config });
      },
    },
    deps,
  );

export const handler = makeHandler();
