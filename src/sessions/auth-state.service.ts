import { Injectable } from '@nestjs/common';
import ipaddr from 'ipaddr.js';
import { DataSource } from 'typeorm';
import { effectivePermissionSet, type Permission } from '../auth/permissions.js';
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

const STATE_COLUMNS = [
  'u.id', 'u.tenant_id', 'u.active', 'u.admin', 'u.plan_admin', 'u.can_view_masked_data', 'u.tfa', 'u.reset_tfa',
  'u.reset_password', 't.active AS tenant_active', 'f.confirmed AS tfa_confirmed',
];

/**
 * A credential's user in one statement: a row of kind 's' with the user's, tenant's and TFA
 * state, one row of kind 'g' per group (its permissions) and one of kind 'w' per allow-list
 * entry. `source` is the credential's table, aliased `c`, whose row names the user and the
 * tenant (`c.user_id`, `c.tenant_id`); `where` picks that row, and is repeated in each part, so
 * the grants come back only when the credential stands. One statement means one round trip
 * on MariaDB for everything a request's authorization needs.
 */
function stateSql(source: string, extra: string[], where: string): string {
  const nulls = (n: number) => Array.from({ length: n }, () => 'NULL').join(', ');
  const padding = nulls(extra.length + STATE_COLUMNS.length);
  return `SELECT 's' AS kind, NULL AS value, ${[...extra, ...STATE_COLUMNS].join(', ')}
  FROM ${source}
  JOIN users u ON u.id = c.user_id AND u.tenant_id = c.tenant_id
  JOIN tenants t ON t.id = u.tenant_id
  LEFT JOIN user_tfa f ON f.user_id = u.id
 WHERE ${where}
UNION ALL
SELECT 'g', g.permissions, ${padding}
  FROM ${source}
  JOIN user_groups ug ON ug.user_id = c.user_id AND +ug.tenant_id = c.tenant_id
  JOIN \`groups\` g ON g.id = ug.group_id
 WHERE ${where}
UNION ALL
SELECT 'w', w.entry, ${padding}
  FROM ${source}
  JOIN user_ip_whitelist w ON w.user_id = c.user_id AND +w.tenant_id = c.tenant_id
 WHERE ${where}`;
}

/** A live session: unended, unexpired, and the token's (id, user, tenant). Parameters: those four, three times. */
export const SESSION_STATE_SQL = stateSql(
  'sessions c',
  ['c.last_used_at AS session_last_used_at'],
  'c.id = ? AND c.user_id = ? AND c.tenant_id = ? AND c.ended_at IS NULL AND c.expires_at > ?',
);

/** An API key: its row names the user and its tenant. Parameter: the key's hash, three times. */
const API_KEY_STATE_SQL = stateSql('api_keys c', [], 'c.key_hash = ?');

type StateRow = Partial<UserRow> & { kind: 's' | 'g' | 'w'; value: unknown; session_last_used_at?: unknown };

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
    const now = driver.preparePersistentValue(new Date(), metadata.findColumnWithPropertyName('expiresAt')!);
    const params = [sessionId, userId, tenantId, now];
    const rows = await readRows<StateRow>(this.dataSource.manager, SESSION_STATE_SQL, [...params, ...params, ...params]);
    const row = rows.find((r) => r.kind === 's');
    if (!row) return null;
    const lastUsedAt = driver.prepareHydratedValue(row.session_last_used_at, metadata.findColumnWithPropertyName('lastUsedAt')!) as Date;
    return { session: { id: sessionId, userId, lastUsedAt }, state: toState(row as StateRow & UserRow, rows) };
  }

  /** The current state of the user whose API key hashes to keyHash, or null when there is no such key. */
  async loadForApiKey(keyHash: string): Promise<UserAuthState | null> {
    const rows = await readRows<StateRow>(this.dataSource.manager, API_KEY_STATE_SQL, [keyHash, keyHash, keyHash]);
    const row = rows.find((r) => r.kind === 's');
    return row ? toState(row as StateRow & UserRow, rows) : null;
  }
}

function toState(row: UserRow, rows: StateRow[]): UserAuthState {
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
    permissions: effectivePermissionSet(
      admin,
      planAdmin,
      rows.filter((r) => r.kind === 'g').map((r) => parsePermissions(r.value)),
    ),
    ipWhitelist: rows.filter((r) => r.kind === 'w').map((r) => String(r.value)),
    restrictedTo: restrictionsOf(
      { tfa: truthy(row.tfa), resetTfa: truthy(row.reset_tfa), resetPassword: truthy(row.reset_password) },
      truthy(row.tfa_confirmed),
    ),
  };
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
