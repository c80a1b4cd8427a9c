/** The API's representations, as the console reads them (see /docs for the full schemas). */

export const PERMISSIONS = [
  'users:read',
  'users:write',
  'users:delete',
  'groups:read',
  'groups:write',
  'plans:read',
  'plans:write',
  'sessions:read',
  'sessions:write',
  'audit:read',
  'tenant:read',
  'tenant:write',
  'webhooks:read',
  'webhooks:write',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

export interface Ref {
  id: string;
  name: string;
}

export interface UserPlan {
  planId: string;
  name: string;
  validFrom: string;
  validTo: string | null;
  active: boolean;
}

export interface User {
  id: string;
  tenantId: string;
  externalId: string | null;
  name: string;
  firstName: string | null;
  lastName: string | null;
  username: string | null;
  email: string;
  phone: string | null;
  active: boolean;
  admin: boolean;
  planAdmin: boolean;
  tfa: boolean;
  tfaEnrolled: boolean;
  resetPassword: boolean;
  resetTfa: boolean;
  passwordResetAllowed: boolean;
  canViewMaskedData: boolean;
  onlySeesReadable: boolean;
  sessionsLimit: number | null;
  groups: Ref[];
  permissions: string[];
  ipWhitelist: string[];
  clientTags: string[];
  plans: UserPlan[];
  lockedUntil: string | null;
  lastLoginAt: string | null;
  lastActionAt: string | null;
  createdAt: string;
  updatedAt: string;
  version: number;
}

export interface Group {
  id: string;
  name: string;
  description: string | null;
  permissions: string[];
  createdAt: string;
  updatedAt: string;
}

export interface Plan {
  id: string;
  name: string;
  description: string | null;
  sessionsLimit: number | null;
  createdAt: string;
  updatedAt: string;
}

export interface TenantSettings {
  passwordMinLength: number;
  lockoutThreshold: number;
  lockoutMinutes: number;
  sessionsLimitDefault: number | null;
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
}

export interface Tenant {
  id: string;
  slug: string;
  name: string;
  active: boolean;
  settings: TenantSettings;
  createdAt: string;
  updatedAt: string;
}

export interface Session {
  id: string;
  createdAt: string;
  lastUsedAt: string;
  expiresAt: string;
  ip: string | null;
  userAgent: string | null;
  current: boolean;
}

export interface AuditEvent {
  id: string;
  at: string;
  action: string;
  actor: { type: string; id: string | null };
  target: { type: string; id: string | null };
  ip: string | null;
  requestId: string | null;
}

export interface TokenResponse {
  accessToken: string;
  refreshToken: string;
  tokenType: 'Bearer';
  expiresIn: number;
  session: { id: string; createdAt: string };
  passwordChangeRequired: boolean;
  tfaEnrollmentRequired: boolean;
}

export interface FieldError {
  field: string;
  message: string;
}

export interface Problem {
  type?: string;
  title?: string;
  status: number;
  code?: string;
  detail?: string;
  errors?: FieldError[];
  requestId?: string;
}

export interface Webhook {
  id: string;
  url: string;
  /** Patterns over audit action names: `*`, `user.*`, `group.created`. */
  events: string[];
  active: boolean;
  description: string | null;
  createdAt: string;
  updatedAt: string;
}

export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

export interface WebhookDelivery {
  id: string;
  eventId: string;
  eventType: string;
  status: DeliveryStatus;
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  lastAttemptAt: string | null;
  nextAttemptAt: string | null;
  createdAt: string;
}
