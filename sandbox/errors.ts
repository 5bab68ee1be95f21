import { EC2ServiceException } from '@aws-sdk/client-ec2';
import { HealthServiceException } from '@aws-sdk/client-health';
import { ElasticLoadBalancingServiceException } from '@aws-sdk/client-elastic-load-balancing';
import { ElasticLoadBalancingV2ServiceException } from '@aws-sdk/client-elastic-load-balancing-v2';
import { Route53ServiceException } from '@aws-sdk/client-route-53';
import { SNSServiceException } from '@aws-sdk/client-sns';
import { SSMServiceException } from '@aws-sdk/client-ssm';
import { SchedulerServiceException } from '@aws-sdk/client-scheduler';

export type ServiceName = 'ec2' | 'route53' | 'sns' | 'ssm' | 'scheduler' | 'elbv2' | 'elb' | 'health';

const CLASSES = {
  ec2: EC2ServiceException,
  route53: Route53ServiceException,
  sns: SNSServiceException,
  ssm: SSMServiceException,
  scheduler: SchedulerServiceException,
  elbv2: ElasticLoadBalancingV2ServiceException,
  elb: ElasticLoadBalancingServiceException,
  health: HealthServiceException,
} as const;

/** Status codes AWS answers with, by error name; anything else is a 400 client error. */
const STATUS: Record<string, number> = {
  RequestLimitExceeded: 503,
  InternalError: 500,
  InternalFailure: 500,
  Unavailable: 503,
  ServiceUnavailable: 503,
};

/**
 * An error exactly as the SDK would have deserialised it: the service's own ServiceException
 * class, the AWS error code as `name`, `$fault` and `$metadata.httpStatusCode` set, so the SDK's
 * retry strategy classifies it (throttling, transient, client) as it would classify AWS's.
 */
export function awsError(service: ServiceName, name: string, message: string, httpStatusCode?: number): Error {
  const status = httpStatusCode ?? STATUS[name] ?? 400;
  const Cls = CLASSES[service];
  return new Cls({
    name,
    message,
    $fault: status >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode: status, requestId: `sandbox-${Math.random().toString(16).slice(2, 10)}` },
  });
}

/** Shorthand used by the models: `throw fail('ec2', 'InvalidSnapshot.NotFound', ...)`. */
export const fail = awsError;
