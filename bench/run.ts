export {};

/**
 * `npm run bench [-- job ...]`: runs the benchmarks in the sandbox with AWS's token buckets,
 * time-scaled, and writes bench/results/<job>.json. Speed and memory targets live here, never in
 * timed unit tests.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const BENCHES: Record<string, () => Promise<object>> = {
  snapshot: async () => (await import('./snapshot')).benchSnapshot(),
  copy: async () => (await import('./copy')).benchCopy(),
  prune: async () => (await import('./prune')).benchPrune(),
  // The backlog figures alone (~5-10 min): refreshes the backlog* fields of bench/results/prune.json.
  'prune-backlog': async () => (await import('./prune')).benchBacklog(),
  failover: async () => (await import('./failover')).benchFailover(),
  degraded: async () => (await import('./degraded')).benchDegraded(),
  bundles: async () => (await import('./bundles')).benchBundles(),
};

const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const unknown = wanted.filter((w) => !BENCHES[w]);
if (unknown.length) {
  console.error(`unknown benchmark(s): ${unknown.join(', ')}; known: ${Object.keys(BENCHES).join(', ')}`);
  process.exit(2);
}
// `copy` alone refreshes the copy figures; a full run gets them from `snapshot`.
for (const name of wanted.length ? wanted : Object.keys(BENCHES).filter((b) => b !== 'copy')) {
  const started = Date.now();
  console.log(`\n## ${name}`);
  await BENCHES[name]!();
  console.log(`(${((Date.now() - started) / 1000).toFixed(1)} s real)`);
}

const { writeSummary } = await import('./report');
await writeSummary();
console.log('\nwrote bench/results.md and bench/results.json');
