import { Init1795436134631 } from './1795436134631-Init.js';
import { Users1795436471306 } from './1795436471306-Users.js';
import { Sessions1795437542382 } from './1795437542382-Sessions.js';
import { AuditActionNames1796032537361 } from './1796032537361-AuditActionNames.js';
import { Scim1796033777544 } from './1796033777544-Scim.js';
import { UserNameExplicit1796044607840 } from './1796044607840-UserNameExplicit.js';
import { Webhooks1796044689491 } from './1796044689491-Webhooks.js';
import { UsersImport1796051000000 } from './1796051000000-UsersImport.js';
import { WebhookPayloadJson1796052000000 } from './1796052000000-WebhookPayloadJson.js';
import { SecretsCarryTenant1796053000000 } from './1796053000000-SecretsCarryTenant.js';

export const SQLITE_MIGRATIONS: (new () => object)[] = [Init1795436134631, Users1795436471306, Sessions1795437542382, AuditActionNames1796032537361, Scim1796033777544, UserNameExplicit1796044607840, Webhooks1796044689491, UsersImport1796051000000, WebhookPayloadJson1796052000000, SecretsCarryTenant1796053000000];
