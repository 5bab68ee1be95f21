import { GetCommandInvocationCommand, SendCommandCommand } from '@aws-sdk/client-ssm';
import { errorCode, errorMessage } from '../aws/errors';
import type { JobContext } from '../engine/types';
import type { SnapshotPolicy } from './config';

export interface ScriptOutcome {
  /** The command reached the instance: the post script must run even if this one failed. */
  sent: boolean;
  ok: boolean;
  /** SSM status (`Success`, `Failed`, `TimedOut`, ...) or the error code of SendCommand. */
  status: string;
  detail?: string;
}

const TERMINAL = new Set(['Success', 'Failed', 'Cancelled', 'TimedOut', 'Cancelling']);
const POLL_MS = 1_000;

/**
 * Runs the policy's SSM document on one instance with `action=pre` or `action=post` and waits,
 * at most `timeoutSeconds`, for its outcome. Never throws: the caller decides what a failure means
 * (fall back to crash-consistent before, alert after).
 */
export async function runConsistencyScript(
  ctx: JobContext,
  app: NonNullable<SnapshotPolicy['application']>,
  instanceId: string,
  action: 'pre' | 'post',
): Promise<ScriptOutcome> {
  let commandId: string;
  try {
    const out = await ctx.clients.ssm.send(
      new SendCommandCommand({
        DocumentName: app.document,
        InstanceIds: [instanceId],
        Parameters: { ...app.parameters, action: [action] },
        // Delivery timeout: SSM's minimum is 30 s.
        TimeoutSeconds: Math.max(30, app.timeoutSeconds),
        Comment: `caretaker snapshot ${action} ${ctx.runId}`.slice(0, 100),
      }),
    );
    commandId = out.Command!.CommandId!;
  } catch (error) {
    return { sent: false, ok: false, status: errorCode(error), detail: errorMessage(error) };
  }
  const deadline = ctx.nowMs() + app.timeoutSeconds * 1000;
  while (ctx.nowMs() < deadline) {
    await ctx.sleep(POLL_MS);
    try {
      const inv = await ctx.clients.ssm.send(new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: instanceId }));
      if (inv.Status && TERMINAL.has(inv.Status)) {
        return { sent: true, ok: inv.Status === 'Success', status: inv.Status, detail: inv.StandardErrorContent?.slice(0, 200) };
      }
    } catch (error) {
      // Right after SendCommand the invocation may not exist yet.
      if (errorCode(error) !== 'InvocationDoesNotExist') return { sent: true, ok: false, status: errorCode(error), detail: errorMessage(error) };
    }
  }
  return { sent: true, ok: false, status: 'TimedOut', detail: `no result within ${app.timeoutSeconds} s` };
}
