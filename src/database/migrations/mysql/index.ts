import { Init1795436139379 } from './1795436139379-Init.js';

export const MYSQL_MIGRATIONS: (new () => object)[] = [Init1795436139379];
