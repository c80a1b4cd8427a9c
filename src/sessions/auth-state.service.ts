import { Injectable } from '@nestjs/common';
import ipaddr from 'ipaddr.js';
import { DataSource } from 'typeorm';
import { isPermission, PERMISSIONS, type Permission } from '../auth/permissions.js';
import type { Restriction } from '../auth/principal.js';

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

@Injectable()
export class AuthStateService {
  constructor(private readonly dataSource: DataSource) {}

  /** The user's current state, or null when the user no longer exists. Three indexed reads. */
  async load(userId: string): Promise<UserAuthState | null> {
    const rows: UserRow[] = await this.dataSource.query(
      `SELECT u.id, u.tenant_id, u.active, u.admin, u.plan_admin, u.can_view_masked_data, u.tfa, u.reset_tfa,
              u.reset_password, t.active AS tenant_active, f.confirmed AS tfa_confirmed
         FROM users u
         JOIN tenants t ON t.id = u.tenant_id
         LEFT JOIN user_tfa f ON f.user_id = u.id
        WHERE u.id = ?`,
      [userId],
    );
    const row = rows[0];
    if (!row) return null;
    const [groups, whitelist] = await Promise.all([
      this.dataSource.query(
        'SELECT g.permissions FROM user_groups ug JOIN `groups` g ON g.id = ug.group_id WHERE ug.user_id = ?',
        [userId],
      ) as Promise<{ permissions: string }[]>,
      this.dataSource.query('SELECT entry FROM user_ip_whitelist WHERE user_id = ?', [userId]) as Promise<{ entry: string }[]>,
    ]);
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
        groups.map((g) => parsePermissions(g.permissions)),
      ),
      ipWhitelist: whitelist.map((w) => w.entry),
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
