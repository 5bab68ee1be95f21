import type { Filter, Tag } from '@aws-sdk/client-ec2';
import type { ServiceName } from './errors';
import { fail } from './errors';

/** A resource of the model, with its creation sequence (stable paging while others are deleted). */
export interface Stored<T> {
  seq: number;
  data: T;
}

/** Filter name → the values a resource has for it (`tag:K` and `tag-key` are built in). */
export type FilterFields<T> = Record<string, (item: T) => Array<string | undefined>>;

/**
 * EC2 filter semantics: values of one filter are ORed, filters are ANDed, `*` and `?` are
 * wildcards. An unknown filter name is an error, as in EC2.
 */
export function applyFilters<T extends { Tags?: Tag[] }>(
  items: Iterable<Stored<T>>,
  filters: Filter[] | undefined,
  fields: FilterFields<T>,
  /** Stop after this many matches (a page needs MaxResults + 1 to know whether there is more). */
  limit = Number.POSITIVE_INFINITY,
): Array<Stored<T>> {
  const compiled = (filters ?? []).map((f) => {
    const name = f.Name ?? '';
    let get: (item: T) => Array<string | undefined>;
    if (name.startsWith('tag:')) {
      const key = name.slice(4);
      get = (i) => (i.Tags ?? []).filter((t) => t.Key === key).map((t) => t.Value);
    } else if (name === 'tag-key') {
      get = (i) => (i.Tags ?? []).map((t) => t.Key);
    } else if (fields[name]) {
      get = fields[name];
    } else {
      throw fail('ec2', 'InvalidParameterValue', `The filter '${name}' is invalid`);
    }
    const patterns = (f.Values ?? []).map(globToRegExp);
    return { get, patterns, tag: name.startsWith('tag') };
  });
  // Filters are ANDed, so their order is free: a field reads faster than a search of the tags.
  compiled.sort((a, b) => Number(a.tag) - Number(b.tag));
  const out: Array<Stored<T>> = [];
  for (const item of items) {
    if (compiled.every(({ get, patterns }) => get(item.data).some((v) => v !== undefined && patterns.some((p) => p.test(v))))) {
      out.push(item);
      if (out.length >= limit) break;
    }
  }
  return out;
}

/**
 * The items after a page request's cursor, in creation order, without filtering the ones before
 * it: a page of a 100,000-snapshot listing then costs its own share of the work, not a full scan
 * of filters (the results are exactly those of {@link paginate} over the whole list).
 */
export function* afterCursor<T>(service: ServiceName, items: Iterable<Stored<T>>, req: PageRequest): Generator<Stored<T>> {
  const after = req.NextToken ? cursorOf(service, req.NextToken) : Number.NEGATIVE_INFINITY;
  for (const item of items) if (item.seq > after) yield item;
}

function cursorOf(service: ServiceName, token: string): number {
  let after: unknown;
  try {
    after = JSON.parse(Buffer.from(token, 'base64url').toString()).after;
  } catch {
    throw fail(service, 'InvalidNextToken', 'The specified NextToken is not valid');
  }
  if (typeof after !== 'number') throw fail(service, 'InvalidNextToken', 'The specified NextToken is not valid');
  return after;
}

function globToRegExp(glob: string): RegExp {
  const escaped = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${escaped}$`, 's');
}

export interface PageRequest {
  MaxResults?: number;
  NextToken?: string;
}

/**
 * One page and the token for the next. The token is a cursor on creation order, so deleting
 * items between pages (as prune does) never makes a page skip anything.
 */
export function paginate<T>(
  service: ServiceName,
  items: Array<Stored<T>>,
  req: PageRequest,
  limits: { min: number; max: number },
): { page: T[]; nextToken?: string } {
  let start = 0;
  if (req.NextToken) {
    const after = cursorOf(service, req.NextToken);
    start = items.findIndex((i) => i.seq > after);
    if (start < 0) return { page: [] };
  }
  if (req.MaxResults === undefined) return { page: items.slice(start).map((i) => i.data) };
  if (req.MaxResults < limits.min || req.MaxResults > limits.max) {
    throw fail(
      service,
      'InvalidParameterValue',
      `Value ( ${req.MaxResults} ) for parameter maxResults is invalid. Expecting a value between ${limits.min} and ${limits.max}.`,
    );
  }
  const slice = items.slice(start, start + req.MaxResults);
  const last = slice[slice.length - 1];
  const more = start + req.MaxResults < items.length;
  return {
    page: slice.map((i) => i.data),
    ...(more && last ? { nextToken: Buffer.from(JSON.stringify({ after: last.seq })).toString('base64url') } : {}),
  };
}

export function toTags(record: Record<string, string>): Tag[] {
  return Object.entries(record).map(([Key, Value]) => ({ Key, Value }));
}
