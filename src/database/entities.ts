import { AuditEvent } from '../audit/audit-event.entity.js';
import { OperatorCredential } from '../auth/operator-credential.entity.js';
import { Group } from '../groups/group.entity.js';
import { Plan } from '../plans/plan.entity.js';
import { ApiKey, PasswordResetToken, RecoveryCode, Session, SigningKey, UserTfa } from '../sessions/session.entities.js';
import { Tenant } from '../tenants/tenant.entity.js';
import { UserClientTag, UserGroup, UserIpWhitelistEntry, UserPlan } from '../users/user-relations.entity.js';
import { User } from '../users/user.entity.js';
import { WebhookDelivery, WebhookEndpoint } from '../webhooks/webhook.entities.js';

/** Every entity, for the app, the migration CLI and the schema test alike. */
export const ENTITIES = [Tenant, AuditEvent, OperatorCredential, Group, Plan, User, UserIpWhitelistEntry, UserClientTag, UserGroup, UserPlan,
  SigningKey, Session, ApiKey, UserTfa, RecoveryCode, PasswordResetToken,
  WebhookEndpoint, WebhookDelivery];
