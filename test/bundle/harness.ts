import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SandboxAccount } from '../../sandbox/account';
import { type SandboxServer, serveSandbox } from '../../sandbox/http/server';
import { type BundledResult, invokeBundled } from '../../sandbox/lambda-runtime/invoke';
import { type FunctionName, unpack } from './build';

/** Timeouts and memory of each function as serverless.yml deploys them. */
export const DEPLOYED: Record<FunctionName, { timeoutMs: number; memoryMb: number }> = {
  'snapshot-volumes': { timeoutMs: 900_000, memoryMb: 256 },
  'prune-snapshots': { timeoutMs: 900_000, memoryMb: 256 },
  'replace-degraded': { timeoutMs: 900_000, memoryMb: 256 },
  'dns-failover': { timeoutMs: 60_000, memoryMb: 128 },
};

/**
 * One account served over HTTP, and the bundled functions invoked against it, each in its own
 * fresh Node process (see sandbox/lambda-runtime). `config` is the document the functions read.
 */
export async function bundleWorld(sandbox: SandboxAccount, config: unknown, topicArn: string) {
  const server: SandboxServer = await serveSandbox(sandbox);
  const configFile = join(mkdtempSync(join(tmpdir(), 'caretaker-config-')), 'caretaker.config.yml');
  // JSON is YAML: the loader reads it as it reads the packaged file.
  writeFileSync(configFile, JSON.stringify(config, null, 2));
  const unpacked = new Map<FunctionName, string>();
  // Every invocation runs on the sandbox's clock (its date and time scale).
  const invoke = (fn: FunctionName, event: unknown, options: { timeoutMs?: number; nodeArgs?: string[] } = {}): Promise<BundledResult> => {
    if (!unpacked.has(fn)) unpacked.set(fn, unpack(fn).entry);
    return invokeBundled({
      entry: unpacked.get(fn)!,
      functionName: `ec2-caretaker-test-${fn}`,
      event,
      timeoutMs: options.timeoutMs ?? DEPLOYED[fn].timeoutMs,
      memoryMb: DEPLOYED[fn].memoryMb,
      endpoint: server.url,
      configFile,
      alertTopicArn: topicArn,
      clock: sandbox,
      ...(options.nodeArgs ? { nodeArgs: options.nodeArgs } : {}),
    });
  };
  return { server, invoke, close: () => server.close() };
}
