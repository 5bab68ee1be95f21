import { isIP } from 'node:net';
import { z } from 'zod';
import { regionName } from '../config/regions';
import { instanceId, positiveInt, scheduleExpression } from '../config/fields';

/** A DNS name as Route 53 takes it: labels of letters, digits, dashes (and `_`), optional final dot. */
const dnsName = z
  .string()
  .max(255)
  .regex(/^(?=.{1,254}$)([a-zA-Z0-9_]([a-zA-Z0-9_-]{0,61}[a-zA-Z0-9])?\.)+[a-zA-Z]{2,63}\.?$/, {
    error: 'expected a fully qualified DNS name such as lb.example.com',
  });

const ipv4 = z.string().refine((s) => isIP(s) === 4, { error: 'expected an IPv4 address such as 192.0.2.10' });
const port = z
  .number({ error: 'expected a TCP port 1-65535' })
  .int({ error: 'expected a TCP port 1-65535' })
  .min(1, { error: 'expected a TCP port 1-65535' })
  .max(65535, { error: 'expected a TCP port 1-65535' });
const timeoutMs = positiveInt.max(30_000, { error: 'expected at most 30000 ms: a probe must fit in one interval' });
const status = z
  .number({ error: 'expected an HTTP status 100-599' })
  .int({ error: 'expected an HTTP status 100-599' })
  .min(100, { error: 'expected an HTTP status 100-599' })
  .max(599, { error: 'expected an HTTP status 100-599' });

/** Where a probe connects, when not the member's own address (a private IP, a health endpoint). */
const probeHost = z.string().refine((s) => isIP(s) !== 0 || dnsName.safeParse(s).success || s === 'localhost', {
  error: 'expected an IP address or a DNS name',
});

export const httpProbeSchema = z.strictObject({
  type: z.enum(['http', 'https']),
  /** Default 80 for http, 443 for https. */
  port: port.optional(),
  host: probeHost.optional(),
  method: z.enum(['GET', 'HEAD']).default('GET'),
  path: z.string().startsWith('/', { error: 'expected a path starting with /' }).default('/'),
  /** Inclusive range of statuses that count as healthy (default 200-399). */
  expectStatus: z
    .strictObject({ min: status.default(200), max: status.default(399) })
    .refine((s) => s.min <= s.max, { error: 'expectStatus.min must not exceed expectStatus.max' })
    .prefault({}),
  /** Healthy only if the first 64 KiB of the body contain this text. */
  bodyContains: z.string().min(1).optional(),
  timeoutMs: timeoutMs.default(2000),
  /** Host header (and TLS server name) to send, e.g. the service name while probing by IP. */
  hostHeader: dnsName.optional(),
  /** Check the TLS certificate (https); off only for self-signed test endpoints. */
  verifyTls: z.boolean().default(true),
}).refine((p) => !(p.bodyContains && p.method === 'HEAD'), { error: 'bodyContains needs method GET: a HEAD answer has no body', path: ['bodyContains'] });

export const tcpProbeSchema = z.strictObject({
  type: z.literal('tcp'),
  port,
  host: probeHost.optional(),
  timeoutMs: timeoutMs.default(2000),
});

export const probeSchema = z.discriminatedUnion('type', [httpProbeSchema, tcpProbeSchema], {
  error: "expected a probe with type 'http', 'https' or 'tcp'",
});

export type ProbeConfig = z.infer<typeof probeSchema>;

const memberSchema = z
  .strictObject({
    /** Names the member in reports (`lb1`). */
    name: z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9_-]{0,39}$/, { error: 'expected letters, digits, _ and - (at most 40)' }),
    /** Exactly one target: a fixed IP, a hostname (CNAME records), or an instance looked up each pass. */
    ip: ipv4.optional(),
    hostname: dnsName.optional(),
    instanceId: instanceId.optional(),
    /** Which address of an instance member to publish and probe. */
    address: z.enum(['public', 'private']).default('public'),
    /** A name kept pointing at this member's current address (`lb1.example.com`). */
    selfName: dnsName.optional(),
    probe: probeSchema.optional(),
  })
  .superRefine((m, ctx) => {
    const targets = [m.ip, m.hostname, m.instanceId].filter((t) => t !== undefined).length;
    if (targets !== 1) ctx.addIssue({ code: 'custom', message: 'a member needs exactly one target: ip, hostname or instanceId' });
    // Checked here rather than with a required field so the message says what a probe is.
    if (!m.probe) ctx.addIssue({ code: 'custom', path: ['probe'], message: 'every member needs a probe: { type: http|https|tcp, ... }' });
  })
  // Only reached when the refinement passed, so the probe is there.
  .transform((m) => m as typeof m & { probe: ProbeConfig });

export type FailoverMember = z.infer<typeof memberSchema>;

export const failoverGroupSchema = z
  .strictObject({
    name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,39}$/, { error: 'expected lowercase letters, digits and dashes (at most 40)' }),
    /**
     * The Region of the group's members (their instances, Elastic IP): one of the top-level
     * `regions`. Default: the deployment's Region. Route 53 itself is global.
     */
    region: regionName.optional(),
    /** `dns` moves a record; `elastic-ip` moves an Elastic IP between instance members (AssociateAddress). */
    mode: z.enum(['dns', 'elastic-ip']).default('dns'),
    hostedZoneId: z
      .string()
      .regex(/^(\/hostedzone\/)?Z[A-Z0-9]{1,32}$/, { error: 'expected a hosted zone id such as Z0123456789ABCDEFGHIJ' })
      .optional(),
    /** The zone's name, if known: lets the config check names offline (the run checks them anyway). */
    zoneName: dnsName.optional(),
    recordName: dnsName.optional(),
    type: z.enum(['A', 'CNAME']).default('A'),
    /** Low, or resolvers keep the dead address: the seed's lesson. */
    ttl: z
      .number({ error: 'expected a TTL in seconds' })
      .int({ error: 'expected a TTL in seconds' })
      .min(0, { error: 'expected a TTL in seconds' })
      .max(300, { error: 'expected at most 300 s: a failover record needs a low TTL' })
      .default(60),
    allocationId: z.string().regex(/^eipalloc-[0-9a-f]{8,17}$/, { error: 'expected an allocation id like eipalloc-0123456789abcdef0' }).optional(),
    /** In priority order: the first healthy one is preferred. */
    members: z.array(memberSchema).min(2, { error: 'a failover group needs at least two members' }),
    /** Consecutive failed probes before a member is down (one failed ping is not an outage). */
    failureThreshold: positiveInt.max(10).default(3),
    /** Consecutive good probes before a member counts as up again. */
    successThreshold: positiveInt.max(10).default(2),
    probeIntervalSeconds: z.number({ error: 'expected seconds' }).min(0.01, { error: 'expected at least 0.01 s' }).max(60).default(5),
    /**
     * Spacing of the confirming probes once a member has failed one (heartbeat's keepalive vs
     * deadtime). Default 2 s (or probeIntervalSeconds if smaller): with 3 × 5 s probes a dead LB is
     * confirmed in 5-9 s instead of 10-15 s; an outage shorter than ~4 s still does not fail over.
     */
    recheckIntervalSeconds: z.number({ error: 'expected seconds' }).min(0.01, { error: 'expected at least 0.01 s' }).max(60).optional(),
    /** `auto`: return to the highest-priority healthy member; `sticky`: stay until the active fails. */
    failback: z.enum(['auto', 'sticky']).default('auto'),
    /** Blast-radius cap: more moves than this in one run is flapping; stop and alert. */
    maxChangesPerRun: positiveInt.default(4),
    /** Bounded wait for INSYNC after a change (it does not hold up probing). */
    insync: z
      .strictObject({
        maxWaitSeconds: z.number().positive().default(30),
        minDelaySeconds: z.number().positive().default(2),
        maxDelaySeconds: z.number().positive().default(10),
      })
      .refine((w) => w.minDelaySeconds <= w.maxDelaySeconds && w.minDelaySeconds < w.maxWaitSeconds, {
        error: 'expected minDelaySeconds ≤ maxDelaySeconds and minDelaySeconds < maxWaitSeconds',
      })
      .prefault({}),
  })
  .superRefine((g, ctx) => validateGroup(g, ctx));

/** Default spacing of confirming probes after a first failure. */
export const DEFAULT_RECHECK_SECONDS = 2;

/** The effective spacing of confirming probes: never longer than the normal probe interval. */
export function recheckSeconds(g: { probeIntervalSeconds: number; recheckIntervalSeconds?: number }): number {
  return Math.min(g.probeIntervalSeconds, g.recheckIntervalSeconds ?? DEFAULT_RECHECK_SECONDS);
}

export type FailoverGroup = z.infer<typeof failoverGroupSchema>;

export const failoverSchema = z
  .strictObject({
    schedule: scheduleExpression.default('rate(1 minute)'),
    /** The watch loop stops this long before the Lambda deadline, leaving time to report. */
    stopBeforeDeadlineSeconds: z.number().min(1).max(60).default(5),
    groups: z.array(failoverGroupSchema).default([]),
    /** Run the function in your VPC, to probe load balancers that only have private addresses. */
    vpc: z
      .strictObject({
        subnetIds: z.array(z.string().regex(/^subnet-[0-9a-f]{8,17}$/, { error: 'expected a subnet id like subnet-0123456789abcdef0' })).min(1),
        securityGroupIds: z.array(z.string().regex(/^sg-[0-9a-f]{8,17}$/, { error: 'expected a security group id like sg-0123456789abcdef0' })).min(1),
      })
      .optional(),
  })
  .superRefine((f, ctx) => {
    const seen = new Map<string, number>();
    f.groups.forEach((g, i) => {
      const key = g.mode === 'dns' ? `record ${bare(g.recordName ?? '')}` : `address ${g.allocationId}`;
      if (seen.has(key)) ctx.addIssue({ code: 'custom', path: ['groups', i], message: `${key} is already managed by groups[${seen.get(key)}]` });
      seen.set(key, i);
    });
  });

export type FailoverConfig = z.infer<typeof failoverSchema>;

/** Lower case, no final dot: how names are compared. */
export function bare(name: string): string {
  return name.toLowerCase().replace(/\.$/, '');
}

export function inZone(name: string, zone: string): boolean {
  const n = bare(name);
  const z = bare(zone);
  return n === z || n.endsWith(`.${z}`);
}

function validateGroup(g: FailoverGroup, ctx: z.RefinementCtx): void {
  const issue = (path: Array<string | number>, message: string) => ctx.addIssue({ code: 'custom', path, message });
  if (g.mode === 'dns') {
    if (!g.hostedZoneId) issue(['hostedZoneId'], 'required in dns mode');
    if (!g.recordName) issue(['recordName'], 'required in dns mode');
  } else {
    if (!g.allocationId) issue(['allocationId'], 'required in elastic-ip mode');
    g.members.forEach((m, i) => {
      if (!m.instanceId) issue(['members', i], 'elastic-ip mode moves the address between instances: use instanceId');
    });
  }
  if (g.zoneName && g.recordName && !inZone(g.recordName, g.zoneName)) {
    issue(['recordName'], `${g.recordName} is outside the zone ${g.zoneName}`);
  }
  const names = new Set<string>();
  g.members.forEach((m, i) => {
    if (names.has(m.name)) issue(['members', i, 'name'], `duplicate member name '${m.name}'`);
    names.add(m.name);
    if (g.mode === 'dns' && g.type === 'A' && m.hostname) issue(['members', i, 'hostname'], 'an A record needs ip or instanceId members; use type: CNAME for hostnames');
    if (g.mode === 'dns' && g.type === 'CNAME' && !m.hostname) issue(['members', i], 'a CNAME record needs hostname members; use type: A for IPs and instances');
    if (m.selfName && g.recordName && bare(m.selfName) === bare(g.recordName)) issue(['members', i, 'selfName'], 'must differ from recordName');
    if (m.selfName && g.zoneName && !inZone(m.selfName, g.zoneName)) issue(['members', i, 'selfName'], `${m.selfName} is outside the zone ${g.zoneName}`);
    if (m.selfName && !g.hostedZoneId) issue(['members', i, 'selfName'], 'needs the group hostedZoneId');
    const spacing = recheckSeconds(g);
    if (m.probe && m.probe.timeoutMs > spacing * 1000) {
      issue(['members', i, 'probe', 'timeoutMs'], `must not exceed the probe spacing (${spacing * 1000} ms: probeIntervalSeconds or recheckIntervalSeconds)`);
    }
  });
}
