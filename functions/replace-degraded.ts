import { EC2Client } from '@aws-sdk/client-ec2';
import { HealthClient } from '@aws-sdk/client-health';
import { ElasticLoadBalancingClient } from '@aws-sdk/client-elastic-load-balancing';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { Route53Client } from '@aws-sdk/client-route-53';
import { SNSClient } from '@aws-sdk/client-sns';
import { degradedEventSchema } from '../shared/degraded/event';
import { runDegraded } from '../shared/degraded/run-degraded';
import { defineHandler, type HandlerDeps, lambdaDeps } from '../shared/lambda/handler';

/**
 * Invoked by the AWS Health rule (EC2 degraded-host codes), by the scan schedule
 * (`degraded.schedule`), or by hand with `{ "action": "scan", "instanceIds"?: [...], "dryRun"?: true }`.
 * Acts only in its own account (from the function ARN) and Region.
 */
export const makeHandler = (deps: HandlerDeps = lambdaDeps('replace-degraded', {
    ec2: EC2Client,
    route53: Route53Client,
    sns: SNSClient,
    elbv2: ElasticLoadBalancingV2Client,
    elb: ElasticLoadBalancingClient,
    health: HealthClient,
  })) =>
  defineHandler(
    {
      name: 'replace-degraded',
      job: 'degraded',
      event: degradedEventSchema,
      dryRun: (trigger) => (trigger.kind === 'scan' ? trigger.dryRun : undefined),
      run: (trigger, ctx, config, lambda) => runDegraded(ctx, config, { trigger, home: { accountId: lambda.invokedFunctionArn.split(':')[4] } }),
    },
    deps,
  );

export const handler = makeHandler();
