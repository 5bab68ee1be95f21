import type { GetCommandInvocationRequest, SendCommandRequest } from '@aws-sdk/client-ssm';
import type { SandboxClock } from './clock';
import { fail } from './errors';

/** How an instance's SSM agent answers a command: the final status, by the command's `action`. */
export type CommandOutcome = 'Success' | 'Failed' | 'TimedOut' | 'NotManaged';

interface Invocation {
  commandId: string;
  instanceId: string;
  documentName: string;
  parameters: Record<string, string[]>;
  sentAtMs: number;
  final: 'Success' | 'Failed' | 'TimedOut';
  timeoutSeconds: number;
}

type Op = (input: never) => unknown;

/** An in-memory Systems Manager Run Command: documents, SendCommand, GetCommandInvocation. */
export class SsmModel {
  readonly documents = new Set<string>(['AWS-RunShellScript']);
  /** instance id → action (`pre`/`post`/...) → outcome; default Success, instances are managed. */
  readonly behaviour = new Map<string, Partial<Record<string, CommandOutcome>>>();
  readonly invocations: Invocation[] = [];
  private ids = 0;

  constructor(
    private readonly clock: SandboxClock,
    /** Sandbox ms a command runs before its final status shows. */
    private readonly runMs: number,
  ) {}

  readonly operations: Record<string, Op> = {
    SendCommand: (i: SendCommandRequest) => this.send(i),
    GetCommandInvocation: (i: GetCommandInvocationRequest) => this.get(i),
  };

  private send(input: SendCommandRequest) {
    if (!input.DocumentName || !this.documents.has(input.DocumentName)) {
      throw fail('ssm', 'InvalidDocument', `Document ${input.DocumentName} does not exist in your account`);
    }
    const ids = input.InstanceIds ?? [];
    if (ids.length === 0) throw fail('ssm', 'InvalidInstanceId', 'Instances must be specified');
    const action = input.Parameters?.action?.[0] ?? 'run';
    for (const id of ids) {
      if (this.behaviour.get(id)?.[action] === 'NotManaged') {
        throw fail('ssm', 'InvalidInstanceId', `Instances [[${id}]] not in a valid state for account`);
      }
    }
    const commandId = `cmd-${(++this.ids).toString().padStart(8, '0')}`;
    for (const id of ids) {
      const outcome = this.behaviour.get(id)?.[action] ?? 'Success';
      this.invocations.push({
        commandId,
        instanceId: id,
        documentName: input.DocumentName,
        parameters: (input.Parameters ?? {}) as Record<string, string[]>,
        sentAtMs: this.clock.nowMs(),
        final: outcome === 'NotManaged' ? 'Failed' : outcome,
        timeoutSeconds: input.TimeoutSeconds ?? 3600,
      });
    }
    return { Command: { CommandId: commandId, DocumentName: input.DocumentName, InstanceIds: ids, Status: 'Pending' } };
  }

  private get(input: GetCommandInvocationRequest) {
    const inv = this.invocations.find((i) => i.commandId === input.CommandId && i.instanceId === input.InstanceId);
    if (!inv) throw fail('ssm', 'InvocationDoesNotExist', 'The command ID and instance ID you specified did not match any invocations.');
    const elapsed = this.clock.nowMs() - inv.sentAtMs;
    // A command that times out shows as InProgress until its timeout passes.
    const doneAfter = inv.final === 'TimedOut' ? inv.timeoutSeconds * 1000 : this.runMs;
    const status = elapsed >= doneAfter ? inv.final : 'InProgress';
    return {
      CommandId: inv.commandId,
      InstanceId: inv.instanceId,
      DocumentName: inv.documentName,
      Status: status,
      StatusDetails: status === 'TimedOut' ? 'DeliveryTimedOut' : status,
      ResponseCode: status === 'Success' ? 0 : status === 'Failed' ? 1 : -1,
      StandardErrorContent: status === 'Failed' ? 'script exited with status 1' : '',
    };
  }
}
