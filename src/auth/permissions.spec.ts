import { DomainError } from '../common/errors.js';
import { PERMISSIONS, parsePermissions, ungrantable, type Permission } from './permissions.js';
import type { UserPrincipal } from './principal.js';

const user = (permissions: Permission[], admin = false): UserPrincipal => ({
  kind: 'user',
  via: 'session',
  userId: 'u',
  tenantId: 't',
  sessionId: 's',
  permissions: new Set(admin ? PERMISSIONS : permissions),
  admin,
  canViewMaskedData: false,
  restrictedTo: [],
});

describe('parsePermissions', () => {
  it('keeps catalogue order and drops duplicates', () => {
    expect(parsePermissions(['users:write', 'groups:read', 'users:write'])).toEqual(['users:write', 'groups:read']);
  });

  it('names each unknown entry by its position', () => {
    try {
      parsePermissions(['users:read', 'users:admin', 'USERS:READ']);
      throw new Error('expected a validation error');
    } catch (error) {
      expect(error).toBeInstanceOf(DomainError);
      expect((error as DomainError).errors?.map((e) => e.field)).toEqual(['permissions[1]', 'permissions[2]']);
    }
  });
});

describe('ungrantable', () => {
  it('lists the added permissions the caller lacks', () => {
    const caller = user(['groups:write', 'users:read']);
    expect(ungrantable(caller, [], ['users:read', 'users:delete'])).toEqual(['users:delete']);
  });

  it('ignores permissions the group already held, so removing and renaming stay possible', () => {
    const caller = user(['groups:write']);
    expect(ungrantable(caller, ['users:delete', 'audit:read'], ['users:delete'])).toEqual([]);
  });

  it('lets the operator and admins grant anything', () => {
    expect(ungrantable({ kind: 'operator' }, [], [...PERMISSIONS])).toEqual([]);
    expect(ungrantable(user([], true), [], [...PERMISSIONS])).toEqual([]);
  });
});
