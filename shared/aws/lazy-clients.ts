import { CaretakerError } from '../engine/errors';
import type { Clients, ClientOptions } from './clients';

/** The client classes a function uses: its bundle then carries only those SDK packages. */
export type ClientClasses = { [K in keyof Clients]?: new (config: ClientOptions) => Clients[K] };

/**
 * Clients built on first use from the classes a function names. Asking for one the function did
 * not name is a programming error, reported as such (never an AWS call with the wrong client).
 *
 * @example
 * const clients = lazyClients({ ec2: EC2Client, sns: SNSClient }, { retryMode: 'adaptive' });
 */
export function lazyClients(classes: ClientClasses, options: ClientOptions = {}): Clients {
  const made: Partial<Clients> = {};
  // Unset options stay unset, so the SDK's own chains (env, profile, IMDS) fill them in.
  const given = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
  const config: ClientOptions = { retryMode: 'standard', maxAttempts: 6, ...given };
  const get = <K extends keyof Clients>(key: K): Clients[K] => {
    if (!made[key]) {
      const Cls = classes[key];
      if (!Cls) throw new CaretakerError(`this function is built without the ${key} client`);
      // Route 53 is a global service served from us-east-1; so is the AWS Health API's endpoint
      // (https://docs.aws.amazon.com/health/latest/APIReference/Welcome.html).
      made[key] = new Cls(key === 'route53' || key === 'health' ? { ...config, region: 'us-east-1' } : config);
    }
    return made[key]!;
  };
  return {
    get ec2() {
      return get('ec2');
    },
    get route53() {
      return get('route53');
    },
    get sns() {
      return get('sns');
    },
    get ssm() {
      return get('ssm');
    },
    get scheduler() {
      return get('scheduler');
    },
    get elbv2() {
      return get('elbv2');
    },
    get elb() {
      return get('elb');
    },
    get health() {
      return get('health');
    },
  };
}

/**
 * Each Region's clients built once, however many times a run asks for them: the deployed handler,
 * the CLI and the sandbox contexts all hand out `clientsIn(region)` through this (here, beside
 * lazyClients, so a bundle that uses it carries no SDK package it does not name). `home` seeds the
 * Region whose clients already exist; no Region means the SDK's own (its key is `undefined`).
 */
export function clientsPerRegion(build: (region: string | undefined) => Clients, home?: { region: string; clients: Clients }): (region?: string) => Clients {
  const byRegion = new Map<string | undefined, Clients>(home ? [[home.region, home.clients]] : []);
  return (region) => {
    if (!byRegion.has(region)) byRegion.set(region, build(region));
    return byRegion.get(region)!;
  };
}
