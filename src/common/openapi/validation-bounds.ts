import { DECORATORS, type SchemaObject } from '@nestjs/swagger';
import { getMetadataStorage } from 'class-validator';

/** What class-validator's metadata storage takes and returns. */
type ValidatedClass = Parameters<ReturnType<typeof getMetadataStorage>['getTargetValidationMetadatas']>[0];
/** One validator of one property. */
type ValidationMetadata = ReturnType<ReturnType<typeof getMetadataStorage>['getTargetValidationMetadatas']>[number];

type Schema = SchemaObject & { $ref?: string };
type Class = abstract new (...args: never[]) => unknown;

/** class-validator's constraint names, as its decorators register them. */
const CONSTRAINTS = {
  maxLength: 'maxLength',
  minLength: 'minLength',
  length: 'isLength',
  notEmpty: 'isNotEmpty',
  min: 'min',
  max: 'max',
  int: 'isInt',
  uuid: 'isUuid',
  in: 'isIn',
  matches: 'matches',
  arrayMax: 'arrayMaxSize',
  arrayMin: 'arrayMinSize',
  email: 'isEmail',
  boolean: 'isBoolean',
  calendarDate: 'isCalendarDate',
} as const;

function validatorsOf(type: Class): Map<string, ValidationMetadata[]> {
  const byProperty = new Map<string, ValidationMetadata[]>();
  for (const meta of getMetadataStorage().getTargetValidationMetadatas(type as unknown as ValidatedClass, '', true, false)) {
    const list = byProperty.get(meta.propertyName) ?? [];
    list.push(meta);
    byProperty.set(meta.propertyName, list);
  }
  return byProperty;
}

function isClass(value: unknown): value is Class {
  return typeof value === 'function' && value.prototype !== undefined && value !== String && value !== Number && value !== Boolean && value !== Object && value !== Array && value !== Date;
}

/** The class a property holds (or holds a list of), as @ApiProperty's `type` or the compiler's design:type says. */
export function propertyClass(type: Class, property: string): Class | undefined {
  const swagger = Reflect.getMetadata(DECORATORS.API_MODEL_PROPERTIES, type.prototype as object, property) as { type?: unknown } | undefined;
  let declared: unknown = swagger?.type;
  if (Array.isArray(declared)) declared = declared[0];
  if (typeof declared === 'function' && declared.prototype === undefined) declared = (declared as () => unknown)();
  if (Array.isArray(declared)) declared = declared[0];
  if (isClass(declared)) return declared;
  const design = Reflect.getMetadata('design:type', type.prototype as object, property) as unknown;
  return isClass(design) ? design : undefined;
}

/** Patterns a value must all match, as one ECMAScript pattern (each anchored by its own ^). */
function combinedPattern(patterns: RegExp[]): string | undefined {
  if (patterns.some((p) => p.flags.replace('g', '') !== '')) return undefined;
  if (patterns.length === 1) return patterns[0]!.source;
  return patterns.map((p) => `(?=${p.source})`).join('');
}

/**
 * Writes what a value must be, as the validators enforce it, into its schema: lengths,
 * bounds, integer, uuid, enum, pattern, list sizes. The validators are the truth the service
 * answers 422 by, so they win over anything written by hand in @ApiProperty.
 */
function applyConstraints(schema: Schema, validators: ValidationMetadata[]): void {
  const own = validators.filter((v) => !v.each);
  const each = validators.filter((v) => v.each);
  if (each.length > 0 && schema.type === 'array') {
    const items = (schema.items ?? {}) as Schema;
    if (!items.$ref) {
      applyScalar(items, each);
      schema.items = items;
    }
  }
  if (schema.type === 'array') {
    for (const v of own) {
      if (v.name === CONSTRAINTS.arrayMax) schema.maxItems = v.constraints[0] as number;
      if (v.name === CONSTRAINTS.arrayMin) schema.minItems = v.constraints[0] as number;
    }
    return;
  }
  applyScalar(schema, own);
}

function applyScalar(schema: Schema, validators: ValidationMetadata[]): void {
  if (schema.$ref) return;
  const patterns: RegExp[] = [];
  for (const v of validators) {
    const [first, second] = v.constraints ?? [];
    switch (v.name ?? '') {
      case CONSTRAINTS.maxLength:
        schema.maxLength = first as number;
        break;
      case CONSTRAINTS.minLength:
        schema.minLength = first as number;
        break;
      case CONSTRAINTS.length:
        schema.minLength = first as number;
        if (typeof second === 'number') schema.maxLength = second;
        break;
      case CONSTRAINTS.notEmpty:
        if (schema.type === 'string' && (schema.minLength ?? 0) < 1) schema.minLength = 1;
        break;
      case CONSTRAINTS.min:
        schema.minimum = first as number;
        break;
      case CONSTRAINTS.max:
        schema.maximum = first as number;
        break;
      case CONSTRAINTS.int:
        schema.type = 'integer';
        break;
      case CONSTRAINTS.uuid:
        schema.type = 'string';
        schema.format = 'uuid';
        break;
      case CONSTRAINTS.email:
        schema.format = 'email';
        break;
      case CONSTRAINTS.boolean:
        schema.type = 'boolean';
        break;
      case CONSTRAINTS.calendarDate:
        schema.format = 'date';
        break;
      case CONSTRAINTS.in:
        schema.enum = [...(first as unknown[])];
        break;
      case CONSTRAINTS.matches:
        if (first instanceof RegExp) patterns.push(first);
        else if (typeof first === 'string') patterns.push(new RegExp(first, typeof second === 'string' ? second : undefined));
        break;
      default:
        break;
    }
  }
  if (patterns.length > 0) {
    const pattern = combinedPattern(patterns);
    if (pattern !== undefined) schema.pattern = pattern;
  }
}

/**
 * Applies a class's validators to the schema of an object (a component, or a query
 * parameter's inline object such as `filter`), and to the classes it nests, each once.
 */
export function applyClassConstraints(
  type: Class,
  schema: Schema,
  resolve: (ref: string) => Schema | undefined,
  seen: Set<Class> = new Set(),
): void {
  if (seen.has(type)) return;
  seen.add(type);
  const validators = validatorsOf(type);
  for (const [property, propertySchema] of Object.entries((schema.properties ?? {}) as Record<string, Schema>)) {
    applyConstraints(propertySchema, validators.get(property) ?? []);
    const nested = propertyClass(type, property);
    if (!nested) continue;
    const target = propertySchema.type === 'array' ? (propertySchema.items as Schema | undefined) : propertySchema;
    if (!target) continue;
    const object = target.$ref ? resolve(target.$ref) : target;
    if (object?.properties) applyClassConstraints(nested, object, resolve, seen);
  }
}

/**
 * The schema of a query object such as `filter`, from its class: one string property per
 * validated field (query values are strings), described by its @ApiProperty when it has one.
 */
export function queryObjectSchema(type: Class): Schema {
  const properties: Record<string, Schema> = {};
  for (const [property, validators] of validatorsOf(type)) {
    const swagger = Reflect.getMetadata(DECORATORS.API_MODEL_PROPERTIES, type.prototype as object, property) as { description?: string } | undefined;
    const schema: Schema = { type: 'string' };
    if (swagger?.description) schema.description = swagger.description;
    applyConstraints(schema, validators);
    properties[property] = schema;
  }
  return { type: 'object', properties };
}

/** The validators of one property of a class, applied to a parameter's schema. */
export function applyPropertyConstraints(type: Class, property: string, schema: Schema): void {
  applyConstraints(schema, validatorsOf(type).get(property) ?? []);
}
