import { v7 as uuidv7, validate as uuidValidate } from 'uuid';

/** Time-ordered UUIDv7: new rows land at the right-hand end of every id index. */
export function newId(): string {
  return uuidv7();
}

export function isUuid(value: string): boolean {
  return uuidValidate(value);
}
