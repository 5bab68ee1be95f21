import type { Tag, TagSpecification } from '@aws-sdk/client-ec2';

/** The tags of a TagSpecifications list for one resource type. */
export function tagsFor(specs: TagSpecification[] | undefined, type: string): Tag[] {
  return (specs ?? []).filter((s) => s.ResourceType === type).flatMap((s) => s.Tags ?? []);
}

/** Outputs are copies: a caller mutating a result must not change the account. */
export function clone<T>(value: T): T {
  return value === undefined ? value : structuredClone(value);
}
