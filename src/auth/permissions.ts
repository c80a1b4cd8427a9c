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

export function isPermission(value: unknown): value is Permission {
  return typeof value === 'string' && (PERMISSIONS as readonly string[]).includes(value);
}
