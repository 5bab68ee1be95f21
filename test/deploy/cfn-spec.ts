import { createRequire } from 'node:module';

/**
 * Checks a CloudFormation template against the CloudFormation resource specification shipped in
 * `@aws-cdk/cfnspec` (pinned, offline): every resource type exists, every property is known,
 * required properties are present, nested property types are checked the same way and primitive
 * values have the right type. Intrinsic functions (`Ref`, `Fn::*`) stand for any value.
 */
interface PropertySpec {
  Required?: boolean;
  PrimitiveType?: string;
  Type?: string;
  ItemType?: string;
  PrimitiveItemType?: string;
}
interface TypeSpec {
  Properties?: Record<string, PropertySpec>;
}
interface Spec {
  ResourceTypes: Record<string, TypeSpec>;
  PropertyTypes: Record<string, TypeSpec | PropertySpec>;
}

const require = createRequire(import.meta.url);
const spec: Spec = require('@aws-cdk/cfnspec').specification();

const isIntrinsic = (v: unknown) =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 1 && /^(Ref|Fn::|Condition)/.test(Object.keys(v)[0]!);

function primitive(type: string, value: unknown, path: string, errors: string[]): void {
  if (isIntrinsic(value)) return;
  const ok =
    type === 'String' ? typeof value === 'string'
    : type === 'Integer' || type === 'Long' ? Number.isInteger(Number(value)) && value !== '' && typeof value !== 'boolean'
    : type === 'Double' ? !Number.isNaN(Number(value)) && typeof value !== 'boolean'
    : type === 'Boolean' ? typeof value === 'boolean' || value === 'true' || value === 'false'
    : type === 'Json' ? typeof value === 'object' || typeof value === 'string'
    : type === 'Timestamp' ? typeof value === 'string'
    : true;
  if (!ok) errors.push(`${path}: expected ${type}, got ${JSON.stringify(value)}`);
}

function propertyType(resourceType: string, name: string): TypeSpec | undefined {
  return (spec.PropertyTypes[`${resourceType}.${name}`] ?? spec.PropertyTypes[name]) as TypeSpec | undefined;
}

function checkValue(resourceType: string, prop: PropertySpec, value: unknown, path: string, errors: string[]): void {
  if (isIntrinsic(value)) return;
  if (prop.PrimitiveType) return primitive(prop.PrimitiveType, value, path, errors);
  if (prop.Type === 'List' || prop.Type === 'Map') {
    const items = prop.Type === 'List' ? value : value;
    if (prop.Type === 'List' && !Array.isArray(items)) return void errors.push(`${path}: expected a list`);
    if (prop.Type === 'Map' && (typeof items !== 'object' || items === null || Array.isArray(items))) return void errors.push(`${path}: expected a map`);
    const entries = Array.isArray(items) ? items.map((v, i) => [String(i), v] as const) : Object.entries(items as object);
    for (const [k, v] of entries) {
      if (prop.PrimitiveItemType) primitive(prop.PrimitiveItemType, v, `${path}[${k}]`, errors);
      else if (prop.ItemType) checkObject(resourceType, propertyType(resourceType, prop.ItemType), v, `${path}[${k}]`, errors);
    }
    return;
  }
  if (prop.Type) checkObject(resourceType, propertyType(resourceType, prop.Type), value, path, errors);
}

function checkObject(resourceType: string, type: TypeSpec | undefined, value: unknown, path: string, errors: string[]): void {
  if (!type) return void errors.push(`${path}: no such property type in the specification`);
  if (isIntrinsic(value)) return;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return void errors.push(`${path}: expected an object`);
  const props = type.Properties ?? {};
  for (const [k, v] of Object.entries(value)) {
    const p = props[k];
    if (!p) errors.push(`${path}.${k}: unknown property`);
    else checkValue(resourceType, p, v, `${path}.${k}`, errors);
  }
  for (const [k, p] of Object.entries(props)) if (p.Required && !(k in (value as object))) errors.push(`${path}.${k}: required`);
}

/** Every problem found in the template's resources; empty when it matches the specification. */
export function validateAgainstSpec(template: { Resources: Record<string, { Type: string; Properties?: unknown }> }): string[] {
  const errors: string[] = [];
  for (const [id, r] of Object.entries(template.Resources)) {
    const type = spec.ResourceTypes[r.Type];
    if (!type) {
      errors.push(`${id}: unknown resource type ${r.Type}`);
      continue;
    }
    checkObject(r.Type, type, r.Properties ?? {}, `${id}(${r.Type})`, errors);
  }
  return errors;
}

export const specVersion: string = (spec as unknown as { ResourceSpecificationVersion: string }).ResourceSpecificationVersion;
