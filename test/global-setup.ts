import { rmSync } from 'node:fs';
import type { TestProject } from 'vitest/node';

/** A fresh IAM call log for this run (test/iam simulates what the suite records into it). */
export default function setup(project: TestProject): void {
  const dir = project.config.env.CARETAKER_IAM_CALL_LOG;
  if (dir) rmSync(dir, { recursive: true, force: true });
}
