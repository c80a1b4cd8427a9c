import { Init1795436139379 } from './1795436139379-Init.js';
import { Users1795436476559 } from './1795436476559-Users.js';
import { Sessions1795437550521 } from './1795437550521-Sessions.js';

export const MYSQL_MIGRATIONS: (new () => object)[] = [Init1795436139379, Users1795436476559, Sessions1795437550521];
