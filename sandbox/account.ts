import { type DescribeRegionsRequest, EC2Client, type Region } from '@aws-sdk/client-ec2';
import { ElasticLoadBalancingClient } from '@aws-sdk/client-elastic-load-balancing';
import { HealthClient } from '@aws-sdk/client-health';
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
import { SnapshotCopies } from './ec2-copy-snapshot';
import { KmsKeys } from './kms-keys';
import { awsError, type ServiceName } from './errors';
import { type FaultRule, Faults, seededRandom } from './faults';
import { Route53Model } from './route53';
import { HealthModel } from './health';
import { CallRecorder } from './call-recorder';
import { SnsModel } from './sns';
import { SsmModel } from './ssm';
import { SchedulerModel } from './scheduler';
import { bucketFor, TokenBuckets } from './throttle';

/**
 * How long EC2 takes to answer one Describe* page: 200 ms plus 1 ms per item returned (a full
 * 1,000-snapshot DescribeSnapshots page: 1.2 s). AWS documents no latency; this is chosen on the
 * slow side of what a large page takes, so that reading pages in parallel or beside other work is
 * never cheaper here than there. The wait is a real (scaled) wait, during which other work runs.
 */
export function describePageLatencyMs(output: Record<string, unknown>): number {
  const items = Object.values(output).find(Array.isArray)?.length ?? 0;
  return 200 + items;
}

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
  /**
   * Model the time EC2 takes to answer a Describe* page ({@link describePageLatencyMs}) instead of
   * counting the sandbox's own CPU time serving calls (on a loaded 2-core machine that would make
   * a page cost whatever the machine's load is, and block the caller's other work while it does).
   * Off by default (tests on a frozen clock keep their exact times).
   */
  describeLatency?: boolean;
  timings?: Partial<Ec2Timings & { route53SyncMs: number; ssmCommandMs: number }>;
  accountId?: string;
  /** The home Region: the deployment's, where the clients go unless told otherwise (default us-east-1). */
  region?: string;
  /**
   * Every Region enabled for the account, the home Region included (default: the home Region
   * only). Each has its own EC2, SSM, Scheduler, SNS and ELB models and its own token buckets;
   * the clock, Route 53 (global) and the fault rules are shared.
   */
  regions?: string[];
  /** Opt-in Regions the account has not enabled: DescribeRegions lists them with AllRegions, calls to them fail. */
  disabledRegions?: string[];
}

/** One API call as the sandbox saw it. */
export interface CallRecord {
  service: ServiceName;
  operation: string;
  input: Record<string, unknown>;
  atMs: number;
  /** The Region the call was sent to (Route 53: us-east-1, where the global service is signed). */
  region: string;
  /** AWS error code when the call failed (throttled, injected or modelled). */
  error?: string;
}

/** The part of an SDK v3 client the sandbox needs: its middleware stack. */
interface SdkClient {
  middlewareStack: { add(middleware: unknown, options: Record<string, unknown>): void };
}

const READ_ONLY = /^(Describe|List|Get)/;

/** Regions enabled by default (no opt-in): https://docs.aws.amazon.com/accounts/latest/reference/manage-acct-regions.html */
const DEFAULT_ENABLED = new Set([
  'us-east-1', 'us-east-2', 'us-west-1', 'us-west-2', 'ca-central-1', 'sa-east-1', 'eu-west-1', 'eu-west-2', 'eu-west-3',
  'eu-central-1', 'eu-north-1', 'ap-northeast-1', 'ap-northeast-2', 'ap-northeast-3', 'ap-south-1', 'ap-southeast-1', 'ap-southeast-2',
]);

/** One Region of the sandbox account: its own regional services and request-rate buckets. */
export class SandboxRegion {
  readonly ec2: Ec2Model;
  readonly sns: SnsModel;
  readonly ssm: SsmModel;
  readonly scheduler: SchedulerModel;
  readonly elb: ElbModel;
  /** The Region's KMS keys (EBS encryption of copies). */
  readonly kms: KmsKeys;
  /** CopySnapshot into this Region (the destination's limit of copies in flight is counted here). */
  readonly copies: SnapshotCopies;
  /** EC2's buckets are per API and Region (GUIDE §3). */
  readonly buckets = new TokenBuckets();
  readonly services: Partial<Record<ServiceName, Record<string, (input: never) => unknown>>>;

  constructor(
    readonly name: string,
    account: SandboxAccount,
    options: SandboxOptions,
    index: number,
  ) {
    const clock = account.clock;
    this.ec2 = new Ec2Model(clock, account.accountId, name, {
      snapshotCompleteMs: options.timings?.snapshotCompleteMs ?? 60_000,
      perVolumeSnapshotGapMs: options.timings?.perVolumeSnapshotGapMs ?? 15_000,
      archiveMs: options.timings?.archiveMs,
      restoreMs: options.timings?.restoreMs,
      tagVisibilityLagMs: options.timings?.tagVisibilityLagMs,
    }, (options.seed ?? 1) + 2 + index * 101);
    if (index > 0) this.ec2.startIdsAt(index * 0x10_0000_0000);
    this.sns = new SnsModel(clock, account.accountId, name);
    this.ssm = new SsmModel(clock, options.timings?.ssmCommandMs ?? 2_000);
    this.scheduler = new SchedulerModel(clock, account.accountId, name, seededRandom((options.seed ?? 1) + 3 + index * 101));
    this.elb = new ElbModel(this.ec2, clock);
    this.kms = new KmsKeys(account.accountId, name);
    this.copies = new SnapshotCopies(clock, this.ec2, this.kms, (source) => (account.regionNames.includes(source) ? account.inRegion(source).ec2 : undefined));
    this.services = {
      ec2: this.ec2.operations,
      sns: this.sns.operations,
      ssm: this.ssm.operations,
      scheduler: this.scheduler.operations,
      elbv2: this.elb.v2Operations,
      elb: this.elb.classicOperations,
    };
    // Status and Elastic IP operations join the model's own, so the lifecycle (which refreshes
    // instance states before describes) wraps them too.
    Object.assign(this.ec2.operations, new Ec2Status(this.ec2).operations, this.copies.operations, { DescribeRegions: (i: DescribeRegionsRequest) => account.describeRegions(i) });
    this.services.ec2 = { ...this.services.ec2, ...new Ec2Lifecycle(this.ec2, clock).operations };
  }
}

/**
 * An in-memory AWS account (EC2, Route 53, SNS, SSM Run Command, Elastic Load Balancing, EventBridge
 * Scheduler) in one or more Regions, that the real SDK clients talk to. It sits in each client's
 * middleware stack at the `deserialize` step: the SDK serialises, signs and retries as always, only
 * the HTTP round trip is replaced. A client reaches the Region it is configured for. Never imported
 * by Lambda code.
 *
 * @example
 * const sandbox = new SandboxAccount({ throttling: true, timeScale: 20, regions: ['us-east-1', 'eu-west-1'] });
 * const clients = sandbox.clients();                          // us-east-1, the home Region
 * const eu = sandbox.clients({ region: 'eu-west-1' });
 * await eu.ec2.send(new DescribeSnapshotsCommand({ OwnerIds: ['self'] }));
 * sandbox.inRegion('eu-west-1').ec2.snapshots.size;
 */
export class SandboxAccount {
  readonly clock: SandboxClock;
  /** The home Region's models (most tests use one Region: these are it). */
  readonly ec2: Ec2Model;
  readonly sns: SnsModel;
  readonly ssm: SsmModel;
  readonly scheduler: SchedulerModel;
  readonly elb: ElbModel;
  /** Route 53 is global: one model whatever Region a client names. */
  readonly route53: Route53Model;
  /** The AWS Health API is global too (one endpoint); it refuses every call unless `health.subscribed`. */
  readonly health = new HealthModel();
  readonly faults: Faults;
  private readonly random: () => number;
  readonly calls: CallRecord[] = [];
  readonly accountId: string;
  /** The home Region. */
  readonly region: string;
  private readonly regionModels = new Map<string, SandboxRegion>();
  private readonly disabled: ReadonlySet<string>;
  private readonly route53Buckets = new TokenBuckets();
  /** The IAM call log of the test suite (sandbox/call-recorder.ts), when the environment asks for it. */
  private readonly recorder = CallRecorder.fromEnv();

  constructor(private readonly options: SandboxOptions = {}) {
    this.accountId = options.accountId ?? '123456789012';
    this.region = options.region ?? options.regions?.[0] ?? 'us-east-1';
    this.clock = new SandboxClock((options.start ?? new Date()).getTime(), options.timeScale ?? 1);
    const names = [this.region, ...(options.regions ?? []).filter((r) => r !== this.region)];
    names.forEach((name, i) => this.regionModels.set(name, new SandboxRegion(name, this, options, i)));
    this.disabled = new Set((options.disabledRegions ?? []).filter((r) => !this.regionModels.has(r)));
    const home = this.inRegion(this.region);
    ({ ec2: this.ec2, sns: this.sns, ssm: this.ssm, scheduler: this.scheduler, elb: this.elb } = home);
    this.route53 = new Route53Model(this.clock, options.timings?.route53SyncMs ?? 60_000);
    this.random = seededRandom((options.seed ?? 1) + 1);
    this.faults = new Faults(seededRandom(options.seed ?? 1));
  }

  /** The Regions enabled for the account, home first. */
  get regionNames(): string[] {
    return [...this.regionModels.keys()];
  }

  /** One Region's models (seeding and assertions); throws for a Region the account does not have. */
  inRegion(name: string): SandboxRegion {
    const r = this.regionModels.get(name);
    if (!r) throw new Error(`the sandbox account has no Region ${name} (it has ${this.regionNames.join(', ')})`);
    return r;
  }

  /**
   * DescribeRegions as EC2 answers it: the enabled Regions, or with `AllRegions` the disabled
   * opt-in ones too; `RegionNames` may name any; filters `region-name`, `opt-in-status`, `endpoint`.
   * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeRegions.html
   */
  describeRegions(input: DescribeRegionsRequest): { Regions: Region[] } {
    const status = (r: string) => (this.disabled.has(r) ? 'not-opted-in' : DEFAULT_ENABLED.has(r) ? 'opt-in-not-required' : 'opted-in');
    const known = [...this.regionModels.keys(), ...this.disabled];
    for (const name of input.RegionNames ?? []) {
      if (!known.includes(name)) throw awsError('ec2', 'InvalidParameterValue', `Invalid region: ${name}`);
    }
    let names = input.RegionNames?.length ? input.RegionNames : input.AllRegions ? known : [...this.regionModels.keys()];
    for (const f of input.Filters ?? []) {
      const values = f.Values ?? [];
      const field: Record<string, (r: string) => string> = { 'region-name': (r) => r, 'opt-in-status': status, endpoint: (r) => `ec2.${r}.amazonaws.com` };
      const get = field[f.Name ?? ''];
      if (!get) throw awsError('ec2', 'InvalidParameterValue', `The filter '${f.Name}' is invalid`);
      names = names.filter((r) => values.includes(get(r)));
    }
    return { Regions: names.map((r) => ({ RegionName: r, Endpoint: `ec2.${r}.amazonaws.com`, OptInStatus: status(r) })) };
  }

  /** Adds an operation model for a service, in every Region (tests extend the sandbox with what they need). */
  serve(service: ServiceName, operations: Record<string, (input: never) => unknown>): void {
    for (const r of this.regionModels.values()) r.services[service] = { ...r.services[service], ...operations };
  }

  injectFault(rule: FaultRule): void {
    this.faults.add(rule);
  }

  /** Handles one call as AWS would: Region, throttle, injected fault, then the model. */
  async handle(service: ServiceName, operation: string, input: Record<string, unknown>, region = this.region): Promise<Record<string, unknown>> {
    const record: CallRecord = { service, operation, input, atMs: this.clock.nowMs(), region };
    this.calls.push(record);
    const global = service === 'route53' || service === 'health';
    const models = global ? undefined : this.regionModels.get(region);
    // Before the call runs: AWS authorizes against the state the resources are in now.
    this.recorder?.record(service, operation, input, {
      accountId: this.accountId,
      region,
      ec2: (models ?? this.inRegion(this.region)).ec2,
      regionState: (name) => this.regionModels.get(name),
    });
    try {
      if (!global && !models) {
        // A disabled opt-in Region (or one the account does not have) refuses the credentials.
        // https://docs.aws.amazon.com/accounts/latest/reference/manage-acct-regions.html
        throw awsError(service, 'AuthFailure', `AWS was not able to validate the provided access credentials (Region ${region} is not enabled for this account)`, 401);
      }
      if (this.options.latencyMs) await new Promise((r) => setTimeout(r, this.clock.realMs(this.options.latencyMs!)));
      const bucket = this.options.throttling ? bucketFor(service, operation, input) : undefined;
      const buckets = models?.buckets ?? this.route53Buckets;
      if (bucket && !buckets.take(bucket, this.clock.nowMs())) {
        throw service === 'route53'
          ? awsError(service, 'Throttling', 'Rate exceeded', 400)
          : awsError(service, 'RequestLimitExceeded', 'Request limit exceeded.');
      }
      const fault = this.faults.pick(service, operation, input);
      if (fault) throw awsError(service, fault.code, fault.message ?? `injected fault: ${fault.code}`, fault.httpStatusCode);
      const globalOps = service === 'route53' ? this.route53.operations : service === 'health' ? this.health.operations : undefined;
      const op = globalOps ? (globalOps as Record<string, (input: never) => unknown>)[operation] : models!.services[service]?.[operation];
      if (!op) throw awsError(service, 'UnsupportedOperation', `The sandbox does not serve ${service}:${operation}`);
      const began = performance.now();
      const answer = op(input as never);
      // AWS's servers work beside the caller: with the latency model on, the sandbox's own CPU
      // time serving a call (its synchronous part) is not sandbox time; the modelled latency is.
      if (this.options.describeLatency) this.clock.advance(-(performance.now() - began) * this.clock.scale);
      const output = ((await answer) ?? {}) as Record<string, unknown>;
      if (this.options.describeLatency && operation.startsWith('Describe')) await this.clock.scaledSleep(describePageLatencyMs(output));
      return output;
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
  clients(options: { maxAttempts?: number; region?: string } = {}): Clients {
    const region = options.region ?? this.region;
    const config = {
      region,
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
      health: new HealthClient({ ...config, region: 'us-east-1' }),
    };
    this.attach(clients.ec2, 'ec2');
    this.attach(clients.route53, 'route53');
    this.attach(clients.sns, 'sns');
    this.attach(clients.ssm, 'ssm');
    this.attach(clients.scheduler, 'scheduler');
    this.attach(clients.elbv2, 'elbv2');
    this.attach(clients.elb, 'elb');
    this.attach(clients.health, 'health');
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
        const region = await (client as unknown as { config: { region(): Promise<string> } }).config.region();
        const output = await this.handle(service, operation, (args.input ?? {}) as Record<string, unknown>, region);
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
