import { type ArgumentMetadata, Injectable, type PipeTransform } from '@nestjs/common';
import { Transform } from 'class-transformer';
import { v7 as uuidv7, validate as uuidValidate } from 'uuid';

/** Time-ordered UUIDv7: new rows land at the right-hand end of every id index. */
export function newId(): string {
  return uuidv7();
}

export function isUuid(value: string): boolean {
  return uuidValidate(value);
}

/**
 * The one spelling of an id the service stores and compares: lower case. A UUID sent in any
 * other case is the same id, and must become this before any check or query sees it, since
 * SQLite compares ids byte for byte and MariaDB without regard to case.
 */
export function canonicalId<T>(value: T): T {
  return (typeof value === 'string' && isUuid(value) ? value.toLowerCase() : value) as T;
}

/**
 * For DTO fields that hold ids (a string or an array of them): canonicalised while the body
 * is turned into the DTO, so validation, the privilege checks and the writes all see one
 * spelling. Pair it with @IsUUID.
 */
export const CanonicalIds = (): PropertyDecorator =>
  Transform(({ value }: { value: unknown }) => (Array.isArray(value) ? value.map((v) => canonicalId(v)) : canonicalId(value)));

/**
 * Route parameters that name a row by id: `:id` and every `:somethingId` but `:externalId`
 * (compared exactly, as the customer spells it).
 */
export function isIdParam(name: string | undefined): boolean {
  return name !== undefined && name !== 'externalId' && (name === 'id' || /^[a-z]+Id$/.test(name));
}

/**
 * Global pipe: canonicalises every id-valued route parameter of every route, once, at the
 * edge, so no handler or query ever meets an id in another spelling.
 */
@Injectable()
export class CanonicalIdParamPipe implements PipeTransform {
  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    return metadata.type === 'param' && isIdParam(metadata.data) ? canonicalId(value) : value;
  }
}
