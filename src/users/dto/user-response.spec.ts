import { effectivePermissions } from '../../auth/permissions.js';
import type { UserPrincipal } from '../../auth/principal.js';
import { User } from '../user.entity.js';
import { toUserResponse, type UserWithRelations } from './user-response.dto.js';

function loaded(overrides: Partial<User> = {}): UserWithRelations {
  const now = new Date('2025-06-01T12:00:00.000Z');
  const user = Object.assign(new User(), {
    id: 'u1', tenantId: 't1', externalId: null, name: 'Mary', firstName: null, lastName: null, username: null,
    email: 'mary@bar.com', phone: '+18043257762', active: true, admin: false, planAdmin: false, tfa: false,
    resetPassword: false, resetTfa: false, passwordResetAllowed: true, canViewMaskedData: false, onlySeesReadable: false,
    sessionsLimit: null, passwordHash: '$argon2id$secret', version: 1, lastLoginAt: null, lastActionAt: null,
    lockedUntil: null, failedLogins: 0, createdAt: now, updatedAt: now, ...overrides,
  });
  return {
    user,
    groups: [{ id: 'g1', name: 'G', permissions: ['groups:read', 'users:read'] }],
    ipWhitelist: ['10.0.0.1', '2001:db8::/32'],
    clientTags: ['t'],
    tfaEnrolled: false,
    plans: [
      { planId: 'p1', name: 'Today', validFrom: now, validTo: '2025-06-01' },
      { planId: 'p2', name: 'Past', validFrom: now, validTo: '2025-05-31' },
      { planId: 'p3', name: 'Future', validFrom: new Date('2025-07-01T00:00:00Z'), validTo: null },
    ],
  };
}

const viewer = (canViewMaskedData: boolean): UserPrincipal => ({
  kind: 'user', via: 'session', userId: 'v', tenantId: 't1', sessionId: 's', permissions: new Set(['users:read']),
  admin: false, canViewMaskedData, restrictedTo: [],
});

describe('toUserResponse', () => {
  const now = new Date('2025-06-01T23:59:59.000Z');

  it('masks email, phone and allow-list for a viewer without canViewMaskedData', () => {
    const res = toUserResponse(loaded(), viewer(false), now);
    expect(res).toMatchObject({ email: 'm***@bar.com', phone: '+*******7762', ipWhitelist: ['***', '***'] });
  });

  it('shows them in clear to the operator and to a viewer with canViewMaskedData', () => {
    for (const v of [{ kind: 'operator' } as const, viewer(true)]) {
      expect(toUserResponse(loaded(), v, now)).toMatchObject({ email: 'mary@bar.com', phone: '+18043257762', ipWhitelist: ['10.0.0.1', '2001:db8::/32'] });
    }
  });

  it('never includes the password hash', () => {
    expect(JSON.stringify(toUserResponse(loaded(), { kind: 'operator' }, now))).not.toContain('argon2');
  });

  it("computes plan activity from today's UTC date, validTo inclusive", () => {
    expect(toUserResponse(loaded(), { kind: 'operator' }, now).plans.map((p) => [p.planId, p.active])).toEqual([
      ['p1', true],
      ['p2', false],
      ['p3', false],
    ]);
  });

  it('derives permissions from groups, admin and planAdmin in catalogue order', () => {
    const groups = [{ permissions: ['groups:read', 'users:read'] as const }].map((g) => ({ permissions: [...g.permissions] }));
    expect(effectivePermissions({ admin: false, planAdmin: false }, groups)).toEqual(['users:read', 'groups:read']);
    expect(effectivePermissions({ admin: false, planAdmin: true }, groups)).toEqual(['users:read', 'groups:read', 'plans:read', 'plans:write']);
    expect(effectivePermissions({ admin: true, planAdmin: false }, [])).toHaveLength(14);
  });
});
