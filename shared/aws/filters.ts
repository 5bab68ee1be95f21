import type { Tag } from '@aws-sdk/client-ec2';

/** EC2 accepts at most 200 values in one filter: longer lists are split across calls. */
export const FILTER_VALUES_MAX = 200;

export function filterChunks<T>(items: readonly T[], size = FILTER_VALUES_MAX): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** An EC2 tag list as key → value. */
export function tagRecord(tags: readonly Tag[] | undefined): Record<string, string> {
  return Object.fromEntries((tags ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));
}
