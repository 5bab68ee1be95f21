import { join } from 'node:path';
import { defineConfig } from 'vitest/config';

/** Where the sandbox records the IAM requests of the job code's calls (sandbox/call-recorder.ts). */
const CALL_LOG_DIR = join(import.meta.dirname, 'node_modules', '.cache', 'caretaker-iam-call-log');

export default defineConfig({
  test: {
    setupFiles: ['test/setup.ts'],
    testTimeout: 20_000,
    pool: 'forks',
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', CARETAKER_IAM_CALL_LOG: CALL_LOG_DIR },
    projects: [
      {
        extends: true,
        // Clears the call log once per run, before the suite records into it.
        test: { name: 'suite', include: ['test/**/*.test.ts'], exclude: ['test/iam/**'], globalSetup: ['test/global-setup.ts'], sequence: { groupOrder: 0 } },
      },
      // The IAM simulation reads the call log of the whole suite, so it runs after it.
      { extends: true, test: { name: 'iam', include: ['test/iam/**/*.test.ts'], sequence: { groupOrder: 1 } } },
    ],
  },
});
