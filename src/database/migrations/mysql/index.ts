import { Init1795436139379 } from './1795436139379-Init.js';
import { Users1795436476559 } from './1795436476559-Users.js';
import { Sessions1795437550521 } from './1795437550521-Sessions.js';
import { AuditActionNames1796032537361 } from './1796032537361-AuditActionNames.js';
import { Scim1796033777544 } from './1796033777544-Scim.js';
import { UserNameExplicit1796044611424 } from './1796044611424-UserNameExplicit.js';
import { Webhooks1796044689491 } from './1796044689491-Webhooks.js';
import { ExactExternalIds1796050000000 } from './1796050000000-ExactExternalIds.js';
import { UsersImport1796051000000 } from './1796051000000-UsersImport.js';
import { WebhookPayloadJson1796052000000 } from './1796052000000-WebhookPayloadJson.js';
import { SecretsCarryTenant1796053000000 } from './1796053000000-SecretsCarryTenant.js';

export const MYSQL_MIGRATIONS: (new () => object)[] = [Init1795436139379, Users1795436476559, Sessions1795437550521, AuditActionNames1796032537361, Scim1796033777544, UserNameExplicit1796044611424, Webhooks1796044689491, ExactExternalIds1796050000000, UsersImport1796051000000, WebhookPayloadJson1796052000000, SecretsCarryTenant1796053000000];
