import type { NormalizedSchema } from '@smithy/core/schema';
import { toBase64 } from '@smithy/core/serde';

/**
 * Writes a value as XML elements by its schema, with the naming rules of the SDK's
 * XmlShapeSerializer (member `xmlName` or member name; lists wrap `item`/`member` elements unless
 * `xmlFlattened`; maps as `entry`/`key`/`value`), but compiled once per schema and written
 * straight into a string: a 1,000-snapshot DescribeSnapshots page takes milliseconds instead of
 * the XmlNode tree's ~300 ms, so a 100,000-snapshot run is not slowed by the sandbox's side.
 */
export function writeXmlMembers(schema: NormalizedSchema, value: Record<string, unknown>, out: string[]): void {
  for (const member of plan(schema)) {
    const v = value[member.name];
    if (v !== undefined && v !== null) writeMember(member, v, out);
  }
}

interface MemberPlan {
  name: string;
  tag: string;
  schema: NormalizedSchema;
  kind: 'struct' | 'list' | 'map' | 'scalar';
  flat: boolean;
  /** List items and map entries: the element name of each item. */
  itemTag: string;
}

const plans = new WeakMap<object, MemberPlan[]>();

function plan(ns: NormalizedSchema): MemberPlan[] {
  const key = ns.getSchema() as object;
  let p = plans.get(key);
  if (!p) {
    p = [];
    for (const [name, member] of ns.structIterator()) {
      const traits = member.getMergedTraits();
      const kind = member.isStructSchema() ? 'struct' : member.isListSchema() ? 'list' : member.isMapSchema() ? 'map' : 'scalar';
      const itemTag = kind === 'list' ? ((member.getValueSchema().getMergedTraits().xmlName as string | undefined) ?? 'member') : 'entry';
      p.push({ name, tag: (member.getMemberTraits().xmlName as string | undefined) ?? name, schema: member, kind, flat: !!traits.xmlFlattened, itemTag });
    }
    if (typeof key === 'object' && key !== null) plans.set(key, p);
  }
  return p;
}

function writeMember(member: MemberPlan, value: unknown, out: string[]): void {
  if (member.kind === 'list') {
    const item = member.schema.getValueSchema();
    const items = value as unknown[];
    if (!member.flat) out.push(`<${member.tag}>`);
    for (const v of items) if (v !== undefined && v !== null) writeValue(item, member.flat ? member.tag : member.itemTag, v, out);
    if (!member.flat) out.push(`</${member.tag}>`);
    return;
  }
  if (member.kind === 'map') {
    if (!member.flat) out.push(`<${member.tag}>`);
    const keyTag = (member.schema.getKeySchema().getMergedTraits().xmlName as string | undefined) ?? 'key';
    const valueSchema = member.schema.getValueSchema();
    const valueTag = (valueSchema.getMergedTraits().xmlName as string | undefined) ?? 'value';
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      if (v === undefined || v === null) continue;
      out.push(`<${member.flat ? member.tag : 'entry'}><${keyTag}>${escapeXml(k)}</${keyTag}>`);
      writeValue(valueSchema, valueTag, v, out);
      out.push(`</${member.flat ? member.tag : 'entry'}>`);
    }
    if (!member.flat) out.push(`</${member.tag}>`);
    return;
  }
  writeValue(member.schema, member.tag, value, out);
}

function writeValue(ns: NormalizedSchema, tag: string, value: unknown, out: string[]): void {
  if (ns.isStructSchema()) {
    out.push(`<${tag}>`);
    writeXmlMembers(ns, value as Record<string, unknown>, out);
    out.push(`</${tag}>`);
  } else if (ns.isListSchema() || ns.isMapSchema()) {
    writeMember({ name: tag, tag, schema: ns, kind: ns.isListSchema() ? 'list' : 'map', flat: false, itemTag: (ns.isListSchema() ? (ns.getValueSchema().getMergedTraits().xmlName as string | undefined) : undefined) ?? 'member' }, value, out);
  } else {
    out.push(`<${tag}>${escapeXml(text(ns, value))}</${tag}>`);
  }
}

/** A scalar's text: timestamps as ISO 8601 date-time (the XML protocols' default format). */
function text(ns: NormalizedSchema, value: unknown): string {
  if (value instanceof Date) {
    const format = ns.getMergedTraits().timestampFormat as string | undefined;
    if (format === 'epoch-seconds') return String(value.getTime() / 1000);
    if (format === 'http-date') return value.toUTCString();
    return value.toISOString().replace('.000Z', 'Z');
  }
  if (value instanceof Uint8Array) return toBase64(value);
  return String(value);
}

export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}
