import { Injectable } from '@nestjs/common';
import ipaddr from 'ipaddr.js';
import { DataSource } from 'typeorm';
import { isPermission, PERMISSIONS, type Permission } from '../auth/permissions.js';
import type { Restriction } from '../auth/principal.js';
import { readRows } from '../database/fast-query.js';
import { Session } from './session.entities.js';

/** What every authenticated request needs to know about its user, read fresh each time. */
export interface UserAuthState {
  userId: string;
  tenantId: string;
  userActive: boolean;
  tenantActive: boolean;
  admin: boolean;
  planAdmin: boolean;
  canViewMaskedData: boolean;
  permissions: Set<Permission>;
  ipWhitelist: string[];
  restrictedTo: Restriction[];
}

export const PLAN_ADMIN_PERMISSIONS: Permission[] = ['plans:read', 'plans:write', 'users:read'];

interface UserRow {
  id: string;
  tenant_id: string;
  active: number | boolean;
  admin: number | boolean;
  plan_admin: number | boolean;
  can_view_masked_data: number | boolean;
  tfa: number | boolean;
  reset_tfa: number | boolean;
  reset_password: number | boolean;
  tenant_active: number | boolean;
  tfa_confirmed: number | boolean | null;
}

/** Union of the groups' permissions, plus everything for an admin and the plan set for a plan admin. */
export function effectivePermissions(admin: boolean, planAdmin: boolean, groupPermissions: string[][]): Set<Permission> {
  if (admin) return new Set(PERMISSIONS);
  const result = new Set<Permission>(planAdmin ? PLAN_ADMIN_PERMISSIONS : []);
  for (const list of groupPermissions) for (const p of list) if (isPermission(p)) result.add(p);
  return result;
}

export function restrictionsOf(user: { tfa: boolean; resetTfa: boolean; resetPassword: boolean }, tfaConfirmed: boolean): Restriction[] {
  const restrictions: Restriction[] = [];
  if ((user.tfa && !tfaConfirmed) || user.resetTfa) restrictions.push('tfa');
  if (user.resetPassword) restrictions.push('password');
  return restrictions;
}

/** True when the address is inside one of the entries (addresses or CIDRs); IPv4-mapped IPv6 counts as IPv4. */
export function ipAllowed(address: string, entries: string[]): boolean {
  if (entries.length === 0) return true;
  let ip: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    ip = ipaddr.process(address);
  } catch {
    return false;
  }
  return entries.some((entry) => {
    try {
      if (entry.includes('/')) {
        const [range, bits] = ipaddr.parseCIDR(entry);
        const normalized = range.kind() === 'ipv6' && (range as ipaddr.IPv6).isIPv4MappedAddress() ? (range as ipaddr.IPv6).toIPv4Address() : range;
        return ip.kind() === normalized.kind() && ip.match(normalized, normalized.kind() === range.kind() ? bits : bits - 96);
      }
      const single = ipaddr.process(entry);
      return ip.kind() === single.kind() && ip.toNormalizedString() === single.toNormalizedString();
    } catch {
      return false;
    }
  });
}

const truthy = (v: number | boolean | null | undefined): boolean => v === true || v === 1;

const USER_STATE_COLUMNS = `u.id, u.tenant_id, u.active, u.admin, u.plan_admin, u.can_view_masked_data, u.tfa, u.reset_tfa,
       u.reset_password, t.active AS tenant_active, f.confirmed AS tfa_confirmed`;
const USER_STATE_JOINS = `JOIN tenants t ON t.id = u.tenant_id
  LEFT JOIN user_tfa f ON f.user_id = u.id`;

/** A live session's user, in one read: the session must be unended, unexpired and the token's. */
const SESSION_STATE_SQL = `SELECT s.last_used_at AS session_last_used_at, ${USER_STATE_COLUMNS}
  FROM sessions s
  JOIN users u ON u.id = s.user_id AND u.tenant_id = s.tenant_id
  ${USER_STATE_JOINS}
 WHERE s.id = ? AND s.user_id = ? AND s.tenant_id = ? AND s.ended_at IS NULL AND s.expires_at > ?`;

/** An API key's user, in one read: the key's own row names both the user and its tenant. */
const API_KEY_STATE_SQL = `SELECT ${USER_STATE_COLUMNS}
  FROM api_keys k
  JOIN users u ON u.id = k.user_id AND u.tenant_id = k.tenant_id
  ${USER_STATE_JOINS}
 WHERE k.key_hash = ?`;

/** The permissions of the user's groups and its allow-list, in one read (`+`: see childRowsSql in user-rows.ts). */
const USER_GRANTS_SQL = `SELECT 'g' AS kind, g.permissions AS value
  FROM user_groups ug JOIN \`groups\` g ON g.id = ug.group_id WHERE +ug.tenant_id = ? AND ug.user_id = ?
UNION ALL
SELECT 'w', w.entry FROM user_ip_whitelist w WHERE +w.tenant_id = ? AND w.user_id = ?`;

/** What the bearer resolver needs of a session besides the user's state. */
export interface LiveSession {
  id: string;
  userId: string;
  lastUsedAt: Date;
}

/**
 * Reads, on every authenticated request, whether the credential still stands and what it may
 * do: nothing here is cached, so a revocation takes effect at once on every instance. The
 * statements are fixed strings, so the driver reuses their prepared form.
 */
@Injectable()
export class AuthStateService {
  constructor(private readonly dataSource: DataSource) {}

  /** The session's user state when the session is live and belongs to that user and tenant. */
  async loadForSession(sessionId: string, userId: string, tenantId: string): Promise<{ session: LiveSession; state: UserAuthState } | null> {
    const metadata = this.dataSource.getMetadata(Session);
    const { driver } = this.dataSource;
    const expiresAt = metadata.findColumnWithPropertyName('expiresAt')!;
    const lastUsedAt = metadata.findColumnWithPropertyName('lastUsedAt')!;
    const rows = await readRows<UserRow & { session_last_used_at: unknown }>(this.dataSource.manager, SESSION_STATE_SQL, [
      sessionId,
      userId,
      tenantId,
      driver.preparePersistentValue(new Date(), expiresAt),
    ]);
    const row = rows[0];
    if (!row) return null;
    const session = { id: sessionId, userId, lastUsedAt: driver.prepareHydratedValue(row.session_last_used_at, lastUsedAt) as Date };
    return { session, state: await this.withGrants(row) };
  }

  /** The current state of the user whose API key hashes to keyHash, or null when there is no such key. */
  async loadForApiKey(keyHash: string): Promise<UserAuthState | null> {
    const rows = await readRows<UserRow>(this.dataSource.manager, API_KEY_STATE_SQL, [keyHash]);
    return rows[0] ? this.withGrants(rows[0]) : null;
  }

  private async withGrants(row: UserRow): Promise<UserAuthState> {
    const grants = await readRows<{ kind: 'g' | 'w'; value: string }>(this.dataSource.manager, USER_GRANTS_SQL, [row.tenant_id, row.id, row.tenant_id, row.id]);
    const admin = truthy(row.admin);
    const planAdmin = truthy(row.plan_admin);
    return {
      userId: row.id,
      tenantId: row.tenant_id,
      userActive: truthy(row.active),
      tenantActive: truthy(row.tenant_active),
      admin,
      planAdmin,
      canViewMaskedData: truthy(row.can_view_masked_data),
      permissions: effectivePermissions(
        admin,
        planAdmin,
        grants.filter((g) => g.kind === 'g').map((g) => parsePermissions(g.value)),
      ),
      ipWhitelist: grants.filter((g) => g.kind === 'w').map((g) => g.value),
      restrictedTo: restrictionsOf(
        { tfa: truthy(row.tfa), resetTfa: truthy(row.reset_tfa), resetPassword: truthy(row.reset_password) },
        truthy(row.tfa_confirmed),
      ),
    };
  }
}

function parsePermissions(raw: unknown): string[] {
  if (Array.isArray(raw)) return raw.map(String);
  try {
    const parsed: unknown = JSON.parse(String(raw));
    return Array.isArray(parsed) ? parsed.map(String) : [];
  } catch {
    return [];
  }
}
