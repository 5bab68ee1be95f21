import { EC2Client } from '@aws-sdk/client-ec2';
import { HealthClient } from '@aws-sdk/client-health';
import { ElasticLoadBalancingClient } from '@aws-sdk/client-elastic-load-balancing';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { Route53Client } from '@aws-sdk/client-route-53';
import { SNSClient } from '@aws-sdk/client-sns';
import { SSMClient } from '@aws-sdk/client-ssm';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { lazyClients } from './lazy-clients';

/** The AWS clients a job may use. Always passed in: shared code never builds its own. */
export interface Clients {
  ec2: EC2Client;
  route53: Route53Client;
  sns: SNSClient;
  ssm: SSMClient;
  /** EventBridge Scheduler: the prune job's one-time continuation schedules. */
  scheduler: SchedulerClient;
  /** Target groups (the degraded job moves a replacement into its old instance's groups). */
  elbv2: ElasticLoadBalancingV2Client;
  /** Classic load balancers, likewise. */
  elb: ElasticLoadBalancingClient;
  /** The AWS Health API (global endpoint, us-east-1): the degraded scan's view of other Regions' events. */
  health: HealthClient;
}

export interface ClientOptions {
  region?: string;
  /**
   * `adaptive` adds client-side rate limiting on top of retries: the right mode for bulk jobs
   * that would otherwise empty a token bucket (prune).
   */
  retryMode?: 'standard' | 'adaptive';
  maxAttempts?: number;
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

/**
 * Builds the clients with the standard credential chain. The SDK itself honours
 * `AWS_ENDPOINT_URL` / `AWS_ENDPOINT_URL_EC2` etc., so pointing at an emulator needs no code.
 */
export function createClients(options: ClientOptions = {}): Clients {
  return lazyClients({ ec2: EC2Client, route53: Route53Client, sns: SNSClient, ssm: SSMClient, scheduler: SchedulerClient, elbv2: ElasticLoadBalancingV2Client, elb: ElasticLoadBalancingClient, health: HealthClient }, options);
}

/**
 * The Region a client acts in (the run's Region when given the run's clients); undefined when the
 * client has none configured (test doubles), so callers fall back to single-Region behaviour.
 */
export async function clientRegion(client: { config: { region: () => Promise<string> } }): Promise<string | undefined> {
  try {
    return await client.config.region();
  } catch {
    return undefined;
  }
}
