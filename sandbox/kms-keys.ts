import { randomUUID } from 'node:crypto';

/**
 * The KMS keys of one Region, as far as EBS encryption sees them: key ids, their ARNs and aliases.
 * KMS keys are Regional: a key ARN names its Region, and a key of one Region does not exist in
 * another (https://docs.aws.amazon.com/kms/latest/developerguide/overview.html). Every Region has
 * the AWS managed key `alias/aws/ebs`, EBS's default.
 */
export class KmsKeys {
  private readonly keys = new Map<string, { arn: string; enabled: boolean }>();
  private readonly aliases = new Map<string, string>();
  readonly defaultEbsKeyArn: string;

  constructor(
    readonly accountId: string,
    readonly region: string,
  ) {
    this.defaultEbsKeyArn = this.createKey('alias/aws/ebs');
  }

  /** A new symmetric key (optionally with an alias); returns its ARN. */
  createKey(alias?: string): string {
    const id = randomUUID();
    const arn = `arn:aws:kms:${this.region}:${this.accountId}:key/${id}`;
    this.keys.set(id, { arn, enabled: true });
    if (alias) this.aliases.set(alias, id);
    return arn;
  }

  disable(keyArn: string): void {
    const id = keyArn.split('/').pop()!;
    const key = this.keys.get(id);
    if (key) key.enabled = false;
  }

  /**
   * The ARN of the enabled key a `KmsKeyId` names here (key id, key ARN, alias name or alias ARN),
   * or undefined when it names no such key of this account and Region.
   */
  resolve(ref: string): string | undefined {
    const arn = /^arn:aws[\w-]*:kms:([a-z0-9-]+):(\d{12}):(key|alias)\/(.+)$/.exec(ref);
    if (arn && (arn[1] !== this.region || arn[2] !== this.accountId)) return undefined;
    const id = arn ? (arn[3] === 'alias' ? this.aliases.get(`alias/${arn[4]}`) : arn[4]) : ref.startsWith('alias/') ? this.aliases.get(ref) : ref;
    const key = id === undefined ? undefined : this.keys.get(id);
    return key?.enabled ? key.arn : undefined;
  }
}
