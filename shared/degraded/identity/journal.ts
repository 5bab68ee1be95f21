import type { Logger } from '../../log';

/**
 * What a relaunch has changed so far, each step with the call that takes it back. Undo runs the
 * steps newest first and carries on past a failed one, so one stuck step never strands the rest;
 * what could not be undone is returned, for the alert to name.
 */
export class Journal {
  private readonly steps: Array<{ what: string; undo: () => Promise<unknown> }> = [];

  constructor(private readonly log: Logger) {}

  record(what: string, undo: () => Promise<unknown>): void {
    this.steps.push({ what, undo });
  }

  get size(): number {
    return this.steps.length;
  }

  async undo(): Promise<string[]> {
    const failed: string[] = [];
    while (this.steps.length > 0) {
      const step = this.steps.pop()!;
      try {
        await step.undo();
      } catch (error) {
        this.log.error(`undo: ${step.what} failed`, { error: String(error) });
        failed.push(`${step.what} (${(error as Error).name ?? 'Error'})`);
      }
    }
    return failed;
  }
}
