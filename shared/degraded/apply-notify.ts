import type { Instance } from '@aws-sdk/client-ec2';
import type { WorkerResult } from '../engine/apply';
import type { JobContext } from '../engine/types';
import { type ApplyEnv, stepTime } from './apply-env';
import { codeInfo } from './event-codes';
import type { DegradedPayload } from './plan-degraded';
import { TAG_EVENT, writeState } from './tags';

/** The exact commands a person runs to do what the job would have done. */
export function manualCommand(instance: Instance, region: string): string {
  const id = instance.InstanceId!;
  const r = `--region ${region}`;
  if (instance.RootDeviceType === 'ebs') {
    return `aws ec2 stop-instances ${r} --instance-ids ${id} && aws ec2 wait instance-stopped ${r} --instance-ids ${id} && aws ec2 start-instances ${r} --instance-ids ${id}`;
  }
  const groups = (instance.SecurityGroups ?? []).map((g) => g.GroupId).join(' ');
  return [
    `aws ec2 run-instances ${r} --image-id ${instance.ImageId} --instance-type ${instance.InstanceType} --subnet-id ${instance.SubnetId}`,
    groups ? ` --security-group-ids ${groups}` : '',
    instance.KeyName ? ` --key-name ${instance.KeyName}` : '',
    instance.IamInstanceProfile?.Arn ? ` --iam-instance-profile Arn=${instance.IamInstanceProfile.Arn}` : '',
    ` --count 1, then move its Elastic IP (aws ec2 associate-address ${r} --allocation-id <eipalloc> --instance-id <new> --allow-reassociation) and terminate ${id}`,
  ].join('');
}

/** Alerts only: instance, code, deadline and the command to act by hand; tagged so it is said once. */
export async function notify(p: DegradedPayload, ctx: JobContext, env: ApplyEnv): Promise<WorkerResult> {
  const id = p.instance.InstanceId!;
  const code = p.notice?.code ?? 'unknown';
  await writeState(ctx.clients.ec2, id, { action: 'notify', phase: 'done', at: stepTime(ctx) }, { [TAG_EVENT]: code });
  const deadline = p.notice?.deadline?.toISOString() ?? 'not given';
  return {
    outcome: 'done',
    reason: `ACTION NEEDED: ${code} (${codeInfo(code)?.consequence ?? 'unknown'}), deadline ${deadline}. By hand: ${manualCommand(p.instance, env.region)}`,
    details: { code, deadline },
  };
}
