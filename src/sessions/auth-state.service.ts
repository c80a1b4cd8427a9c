import { Injectable } from '@nestjs/common';
import ipaddr from 'ipaddr.js';
import { effectivePermissionSet, type Permission } from '../auth/permissions.js';
import type { Restriction } from '../auth/principal.js';
import { type CredentialFacts, SessionsRepository } from './sessions.repository.js';

/** What every authenticated request needs to know about its user, read fresh each time. */
export interface UserAuthState
  extends Pick<CredentialFacts, 'userId' | 'tenantId' | 'userActive' | 'tenantActive' | 'admin' | 'planAdmin' | 'canViewMaskedData' | 'ipWhitelist'> {
  permissions: Set<Permission>;
  restrictedTo: Restriction[];
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

/** What the bearer resolver needs of a session besides the user's state. */
export interface LiveSession {
  id: string;
  tenantId: string;
  userId: string;
  lastUsedAt: Date;
}

/**
 * Reads, on every authenticated request, whether the credential still stands and what it may
 * do: nothing here is cached, so a revocation takes effect at once on every instance.
 */
@Injectable()
export class AuthStateService {
  constructor(private readonly repository: SessionsRepository) {}

  /** The session's user state when the session is live and belongs to that user and tenant. */
  async loadForSession(sessionId: string, userId: string, tenantId: string): Promise<{ session: LiveSession; state: UserAuthState } | null> {
    const live = await this.repository.liveSessionState(tenantId, sessionId, userId);
    if (!live) return null;
    return { session: { id: sessionId, tenantId, userId, lastUsedAt: live.lastUsedAt }, state: stateOf(live.facts) };
  }

  /** The current state of the user whose API key hashes to keyHash, or null when there is no such key. */
  async loadForApiKey(keyHash: string): Promise<UserAuthState | null> {
    const facts = await this.repository.apiKeyState(keyHash);
    return facts ? stateOf(facts) : null;
  }
}

function stateOf(facts: CredentialFacts): UserAuthState {
  const { admin, planAdmin } = facts;
  return {
    userId: facts.userId,
    tenantId: facts.tenantId,
    userActive: facts.userActive,
    tenantActive: facts.tenantActive,
    admin,
    planAdmin,
    canViewMaskedData: facts.canViewMaskedData,
    permissions: effectivePermissionSet(admin, planAdmin, facts.groupPermissions),
    ipWhitelist: facts.ipWhitelist,
    restrictedTo: restrictionsOf({ tfa: facts.tfa, resetTfa: facts.resetTfa, resetPassword: facts.resetPassword }, facts.tfaConfirmed),
  };
}
