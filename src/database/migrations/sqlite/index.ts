import { Init1795436134631 } from './1795436134631-Init.js';
import { Users1795436471306 } from './1795436471306-Users.js';

export const SQLITE_MIGRATIONS: (new () => object)[] = [Init1795436134631, Users1795436471306];
