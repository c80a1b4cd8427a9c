import { type ArgumentMetadata, applyDecorators, ValidationPipe, type ValidationError } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { getMetadataStorage, IsOptional, ValidateIf, ValidateNested } from 'class-validator';
import { DomainError, type FieldError } from './errors.js';

/**
 * Constraints on what kind of value a field holds. When one fails, the others (lengths,
 * ranges) say nothing useful about the value, so only it is reported: `limit=abc` is "must be
 * an integer number", not three messages about bounds it cannot have.
 */
const TYPE_CONSTRAINTS = new Set(['isString', 'isInt', 'isNumber', 'isBoolean', 'isArray', 'isObject', 'nestedValidation']);

function messagesOf(constraints: Record<string, string>): string[] {
  const types = Object.entries(constraints).filter(([name]) => TYPE_CONSTRAINTS.has(name));
  return (types.length > 0 ? types : Object.entries(constraints)).map(([, message]) => message);
}

function flatten(errors: ValidationError[], prefix = ''): FieldError[] {
  return errors.flatMap((error) => {
    const field = prefix ? `${prefix}.${error.property}` : error.property;
    const own = messagesOf(error.constraints ?? {}).map((message) => ({
      field,
      message: message.startsWith(`${error.property} `) ? message.slice(error.property.length + 1) : message,
    }));
    return [...own, ...flatten(error.children ?? [], field)];
  });
}

/** Deep-freezes what a query validated into, so that no handler can change a memo's copy. */
function frozen<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const field of Object.values(value)) frozen(field);
    Object.freeze(value);
  }
  return value;
}

/** The query strings whose validated form one ValidationPipe keeps, for each query class. */
const QUERY_MEMO_SIZE = 64;

/**
 * The global ValidationPipe, which keeps what the last query strings of each query class
 * validated into: a client paging or polling sends the same query again and again
 * (`?limit=50`), and class-transformer and class-validator cost a list page about 5% of its
 * CPU. Only a query that passed is kept, frozen (a handler cannot change what the next request
 * gets); anything else, and every body, is validated each time.
 */
class MemoValidationPipe extends ValidationPipe {
  private readonly queries = new Map<unknown, Map<string, unknown>>();

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type !== 'query' || !metadata.metatype || value === null || typeof value !== 'object') return super.transform(value, metadata);
    let memo = this.queries.get(metadata.metatype);
    if (!memo) this.queries.set(metadata.metatype, (memo = new Map()));
    const key = JSON.stringify(value);
    const kept = memo.get(key);
    if (kept !== undefined) return kept;
    const validated = frozen(await super.transform(value, metadata));
    if (memo.size >= QUERY_MEMO_SIZE) memo.delete(memo.keys().next().value!);
    memo.set(key, validated);
    return validated;
  }
}

/** Unknown fields and invalid values both answer 422 with one entry per field. */
export function validationPipe(): ValidationPipe {
  return new MemoValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => {
      const fields = flatten(errors);
      return DomainError.validation(fields.length ? fields : [{ field: '', message: 'must be a JSON object' }]);
    },
  });
}

/**
 * The field may be left out, but not sent as null: unlike @IsOptional, null still goes
 * through the field's validators (and fails them), so it can never reach a NOT NULL column.
 */
export const IsOmittable = (): PropertyDecorator => ValidateIf((_object, value) => value !== undefined);

/**
 * A `filter[key]=value` query parameter whose keys and values the class validates. Anything
 * else in its place (`filter=abc`) is refused with what a filter looks like. The document
 * lists the keys from the class (`deepObject`), each described by its @ApiPropertyOptional.
 */
export function FilterOf(type: new () => object, options: { description: string; example: string }): PropertyDecorator {
  const keys = (): string =>
    [...new Set(getMetadataStorage().getTargetValidationMetadatas(type, '', true, false).map((m) => m.propertyName))].join(', ');
  return applyDecorators(
    ApiPropertyOptional({ type: 'object', properties: {}, description: options.description }),
    IsOptional(),
    ValidateNested({ message: () => `must be given as filter[key]=value pairs, with key one of ${keys()}; for example ${options.example}` }),
    Type(() => type),
  );
}
