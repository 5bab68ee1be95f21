import { EC2Client } from '@aws-sdk/client-ec2';
import { ElasticLoadBalancingClient } from '@aws-sdk/client-elastic-load-balancing';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { Route53Client } from '@aws-sdk/client-route-53';
import { SNSClient } from '@aws-sdk/client-sns';
import { SSMClient } from '@aws-sdk/client-ssm';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { ConfiguredRetryStrategy } from '@smithy/core/retry';
import type { Clients } from '../shared/aws/clients';
import { SandboxClock } from './clock';
import { Ec2Model, type Ec2Timings } from './ec2';
import { Ec2Lifecycle } from './ec2-lifecycle';
import { Ec2Status } from './ec2-status';
import { ElbModel } from './elb';
import { awsError, type ServiceName } from './errors';
import { type FaultRule, Faults, seededRandom } from './faults';
import { Route53Model } from './route53';
import { CallRecorder } from './call-recorder';
import { SnsModel } from './sns';
import { SsmModel } from './ssm';
import { SchedulerModel } from './scheduler';
import { bucketFor, TokenBuckets } from './throttle';

export interface SandboxOptions {
  /** Sandbox time at creation (default: now). */
  start?: Date;
  /** Sandbox ms per real ms (default 1). 20 makes a 5/s bucket refill at 100 real calls/s. */
  timeScale?: number;
  /** Enforce AWS's per-API token buckets (default off). */
  throttling?: boolean;
  /** Seed of every random choice (faults), so a run repeats exactly. */
  seed?: number;
  /** Real latency added to every call, in sandbox ms (scaled like everything else). */
  latencyMs?: number;
  timings?: Partial<Ec2Timings & { route53SyncMs: number; ssmCommandMs: number }>;
  accountId?: string;
  region?: string;
}

/** One API call as the sandbox saw it. */
export interface CallRecord {
  service: ServiceName;
  operation: string;
  input: Record<string, unknown>;
  atMs: number;
  /** AWS error code when the call failed (throttled, injected or modelled). */
  error?: string;
}

/** The part of an SDK v3 client the sandbox needs: its middleware stack. */
interface SdkClient {
  middlewareStack: { add(middleware: unknown, options: Record<string, unknown>): void };
}

const READ_ONLY = /^(Describe|List|Get)/;

/**
 * An in-memory AWS account (EC2, Route 53, SNS, SSM Run Command, Elastic Load Balancing) that the real SDK clients talk to. It sits in each
 * client's middleware stack at the `deserialize` step: the SDK serialises, signs and retries as
 * always, only the HTTP round trip is replaced. Never imported by Lambda code.
 *
 * @example
 * const sandbox = new SandboxAccount({ throttling: true, timeScale: 20 });
 * const clients = sandbox.clients();
 * await clients.ec2.send(new DescribeSnapshotsCommand({ OwnerIds: ['self'] }));
 */
export class SandboxAccount {
  readonly clock: SandboxClock;
  readonly ec2: Ec2Model;
  readonly route53: Route53Model;
  readonly sns: SnsModel;
  readonly ssm: SsmModel;
  readonly scheduler: SchedulerModel;
  readonly elb: ElbModel;
  readonly faults: Faults;
  private readonly random: () => number;
  readonly calls: CallRecord[] = [];
  readonly accountId: string;
  readonly region: string;
  private readonly buckets = new TokenBuckets();
  /** The IAM call log of the test suite (sandbox/call-recorder.ts), when the environment asks for it. */
  private readonly recorder = CallRecorder.fromEnv();
  private readonly services: Partial<Record<ServiceName, Record<string, (input: never) => unknown>>>;

  constructor(private readonly options: SandboxOptions = {}) {
    this.accountId = options.accountId ?? '123456789012';
    this.region = options.region ?? 'us-east-1';
    this.clock = new SandboxClock((options.start ?? new Date()).getTime(), options.timeScale ?? 1);
    this.ec2 = new Ec2Model(this.clock, this.accountId, this.region, {
      snapshotCompleteMs: options.timings?.snapshotCompleteMs ?? 60_000,
      perVolumeSnapshotGapMs: options.timings?.perVolumeSnapshotGapMs ?? 15_000,
    }, (options.seed ?? 1) + 2);
    this.route53 = new Route53Model(this.clock, options.timings?.route53SyncMs ?? 60_000);
    this.sns = new SnsModel(this.clock, this.accountId, this.region);
    this.ssm = new SsmModel(this.clock, options.timings?.ssmCommandMs ?? 2_000);
    this.random = seededRandom((options.seed ?? 1) + 1);
    this.faults = new Faults(seededRandom(options.seed ?? 1));
    this.scheduler = new SchedulerModel(this.clock, this.accountId, this.region);
    this.elb = new ElbModel(this.ec2, this.clock);
    this.services = {
      ec2: this.ec2.operations,
      route53: this.route53.operations,
      sns: this.sns.operations,
      ssm: this.ssm.operations,
      scheduler: this.scheduler.operations,
      elbv2: this.elb.v2Operations,
      elb: this.elb.classicOperations,
    };
    // Status and Elastic IP operations join the model's own, so the lifecycle (which refreshes
    // instance states before describes) wraps them too.
    Object.assign(this.ec2.operations, new Ec2Status(this.ec2).operations);
    this.serve('ec2', new Ec2Lifecycle(this.ec2, this.clock).operations);
  }

  /** Adds an operation model for a service (jobs extend the sandbox with what they use). */
  serve(service: ServiceName, operations: Record<string, (input: never) => unknown>): void {
    this.services[service] = { ...this.services[service], ...operations };
  }

  injectFault(rule: FaultRule): void {
    this.faults.add(rule);
  }

  /** Handles one call as AWS would: throttle, injected fault, then the model. */
  async handle(service: ServiceName, operation: string, input: Record<string, unknown>): Promise<Record<string, unknown>> {
    const record: CallRecord = { service, operation, input, atMs: this.clock.nowMs() };
    this.calls.push(record);
    // Before the call runs: AWS authorizes against the state the resources are in now.
    this.recorder?.record(service, operation, input, { accountId: this.accountId, region: this.region, ec2: this.ec2 });
    try {
      if (this.options.latencyMs) await new Promise((r) => setTimeout(r, this.clock.realMs(this.options.latencyMs!)));
      const bucket = this.options.throttling ? bucketFor(service, operation, input) : undefined;
      if (bucket && !this.buckets.take(bucket, this.clock.nowMs())) {
        throw service === 'route53'
          ? awsError(service, 'Throttling', 'Rate exceeded', 400)
          : awsError(service, 'RequestLimitExceeded', 'Request limit exceeded.');
      }
      const fault = this.faults.pick(service, operation, input);
      if (fault) throw awsError(service, fault.code, fault.message ?? `injected fault: ${fault.code}`, fault.httpStatusCode);
      const op = this.services[service]?.[operation];
      if (!op) throw awsError(service, 'UnsupportedOperation', `The sandbox does not serve ${service}:${operation}`);
      return ((await op(input as never)) ?? {}) as Record<string, unknown>;
    } catch (error) {
      record.error = (error as Error).name;
      throw error;
    }
  }

  /**
   * Real SDK clients wired to this account. Their retry strategy is the SDK's standard one
   * (same error classification, same exponential backoff with full jitter: 500 ms base for
   * throttling, 100 ms otherwise, 20 s cap) with the waits taken on sandbox time, so a retry
   * costs what it would cost against AWS without slowing tests down.
   */
  clients(options: { maxAttempts?: number } = {}): Clients {
    const config = {
      region: this.region,
      credentials: { accessKeyId: 'SANDBOX', secretAccessKey: 'SANDBOX' },
      retryStrategy: new ConfiguredRetryStrategy(options.maxAttempts ?? 6, (attempt: number) => this.backoffMs(attempt)),
    };
    const clients: Clients = {
      ec2: new EC2Client(config),
      route53: new Route53Client({ ...config, region: 'us-east-1' }),
      sns: new SNSClient(config),
      ssm: new SSMClient(config),
      scheduler: new SchedulerClient(config),
      elbv2: new ElasticLoadBalancingV2Client(config),
      elb: new ElasticLoadBalancingClient(config),
    };
    this.attach(clients.ec2, 'ec2');
    this.attach(clients.route53, 'route53');
    this.attach(clients.sns, 'sns');
    this.attach(clients.ssm, 'ssm');
    this.attach(clients.scheduler, 'scheduler');
    this.attach(clients.elbv2, 'elbv2');
    this.attach(clients.elb, 'elb');
    return clients;
  }

  /** One SDK retry wait: really waited (scaled) on a running clock, added to a frozen one. */
  private backoffMs(attempt: number): number {
    const ms = this.random() * Math.min(20_000, 500 * 2 ** (attempt - 1));
    if (this.clock.scale > 0) return this.clock.realMs(ms);
    this.clock.advance(ms);
    return 0;
  }

  /** Plugs the account into one client, at `deserialize` with priority `high`. */
  attach(client: SdkClient, service: ServiceName): void {
    client.middlewareStack.add(
      (_next: unknown, context: { commandName?: string }) => async (args: { input?: unknown }) => {
        const operation = String(context.commandName ?? '').replace(/Command$/, '');
        const output = await this.handle(service, operation, (args.input ?? {}) as Record<string, unknown>);
        return {
          output: { ...output, $metadata: { httpStatusCode: 200, requestId: `sandbox-${this.calls.length}` } },
          response: { statusCode: 200, headers: {} },
        };
      },
      { step: 'deserialize', priority: 'high', name: 'caretakerSandbox', override: true },
    );
  }

  /** Calls that could change something (not Describe/List/Get), for "no mutating call" checks. */
  mutatingCalls(): CallRecord[] {
    return this.calls.filter((c) => !READ_ONLY.test(c.operation) && !(c.service === 'sns' && c.operation === 'Publish'));
  }

  callsOf(operation: string): CallRecord[] {
    return this.calls.filter((c) => c.operation === operation);
  }
}
