import { AuditEvent } from '../audit/audit-event.entity.js';
import { OperatorCredential } from '../auth/operator-credential.entity.js';
import { Tenant } from '../tenants/tenant.entity.js';

/** Every entity, for the app, the migration CLI and the schema test alike. */
export const ENTITIES = [Tenant, AuditEvent, OperatorCredential];
