import { Init1795436134631 } from './1795436134631-Init.js';

export const SQLITE_MIGRATIONS: (new () => object)[] = [Init1795436134631];
