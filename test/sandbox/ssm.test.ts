import { GetCommandInvocationCommand, SendCommandCommand } from '@aws-sdk/client-ssm';
import { describe, expect, it } from 'vitest';
import { SandboxAccount } from '../../sandbox/account';

describe('Sandbox SSM Run Command', () => {
  it('runs a command: InvocationDoesNotExist for an unknown pair, InProgress, then its final status', async () => {
    const sandbox = new SandboxAccount({ timeScale: 0, timings: { ssmCommandMs: 2_000 } });
    sandbox.ssm.behaviour.set('i-2', { pre: 'Failed' });
    const { ssm } = sandbox.clients();
    const { Command } = await ssm.send(
      new SendCommandCommand({ DocumentName: 'AWS-RunShellScript', InstanceIds: ['i-1', 'i-2'], Parameters: { action: ['pre'] } }),
    );
    await expect(ssm.send(new GetCommandInvocationCommand({ CommandId: Command!.CommandId, InstanceId: 'i-3' }))).rejects.toMatchObject({
      name: 'InvocationDoesNotExist',
    });
    expect((await ssm.send(new GetCommandInvocationCommand({ CommandId: Command!.CommandId, InstanceId: 'i-1' }))).Status).toBe('InProgress');
    sandbox.clock.advance(2_000);
    expect((await ssm.send(new GetCommandInvocationCommand({ CommandId: Command!.CommandId, InstanceId: 'i-1' }))).Status).toBe('Success');
    expect((await ssm.send(new GetCommandInvocationCommand({ CommandId: Command!.CommandId, InstanceId: 'i-2' }))).Status).toBe('Failed');
  });

  it('rejects a missing document (InvalidDocument) and unmanaged instances (InvalidInstanceId)', async () => {
    const sandbox = new SandboxAccount({ timeScale: 0 });
    sandbox.ssm.behaviour.set('i-9', { run: 'NotManaged' });
    const { ssm } = sandbox.clients();
    await expect(ssm.send(new SendCommandCommand({ DocumentName: 'nope', InstanceIds: ['i-1'] }))).rejects.toMatchObject({ name: 'InvalidDocument' });
    await expect(ssm.send(new SendCommandCommand({ DocumentName: 'AWS-RunShellScript', InstanceIds: ['i-9'] }))).rejects.toMatchObject({
      name: 'InvalidInstanceId',
    });
  });

  it('a timed-out command stays InProgress until its timeout', async () => {
    const sandbox = new SandboxAccount({ timeScale: 0 });
    sandbox.ssm.behaviour.set('i-1', { pre: 'TimedOut' });
    const { ssm } = sandbox.clients();
    const { Command } = await ssm.send(
      new SendCommandCommand({ DocumentName: 'AWS-RunShellScript', InstanceIds: ['i-1'], Parameters: { action: ['pre'] }, TimeoutSeconds: 30 }),
    );
    sandbox.clock.advance(29_000);
    expect((await ssm.send(new GetCommandInvocationCommand({ CommandId: Command!.CommandId, InstanceId: 'i-1' }))).Status).toBe('InProgress');
    sandbox.clock.advance(1_000);
    expect((await ssm.send(new GetCommandInvocationCommand({ CommandId: Command!.CommandId, InstanceId: 'i-1' }))).Status).toBe('TimedOut');
  });
});
