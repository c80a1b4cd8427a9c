import { Inject, Injectable } from '@nestjs/common';
import { DataSource, type EntityManager, In } from 'typeorm';
import type { AuditAction } from '../audit/audit-actions.js';
import { AuditService } from '../audit/audit.service.js';
import { assertMayActOn, assertMayGrant } from '../auth/permissions.js';
import type { TenantContext } from '../auth/request-context.js';
import { CursorSeal } from '../common/cursor.js';
import { canonicalEmail, storableEmail } from '../common/email.js';
import { checkVersion, type IfMatch } from '../common/if-match.js';
import { DomainError, type FieldError } from '../common/errors.js';
import { isUuid, newId } from '../common/ids.js';
import { isMaskedEmail, isMaskedPhone, MASKED_IP_ENTRY, maskEmail, maskPhone } from '../common/masking.js';
import { Database, type UniqueRule } from '../database/database.service.js';
import { Group } from '../groups/group.entity.js';
import { MailService } from '../mail/mail.service.js';
import { Plan } from '../plans/plan.entity.js';
import { TenantsService } from '../tenants/tenants.service.js';
import { EncryptionKey } from '../config/encryption-key.service.js';
import { type PageMeta, writeUserPage } from './dto/user-page.json.js';
import { seesMaskedData, type UserWithRelations } from './dto/user-response.dto.js';
import type { PlanAssignmentDto, UserInputDto } from './dto/user.dto.js';
import type { UserSort, UsersFilter } from './dto/users-query.dto.js';
import { checkPasswordPolicy, hashPassword } from './passwords.js';
import { assertKeepsAnAdmin, lockTenantAdmins } from './privileges.js';
import { CREDENTIALS_REVOKER, type CredentialsRevoker } from './credentials-revoker.port.js';
import { User } from './user.entity.js';
import { type UserListPage, UsersRepository, type UserSearch } from './users.repository.js';
import { comparedFields } from '../database/condition.js';

export const UNIQUE_RULES: UniqueRule[] = [
  { index: 'uq_users_tenant_email', column: 'email', code: 'email_taken', detail: 'A user with this email already exists' },
  { index: 'uq_users_tenant_external_id', column: 'external_id', code: 'external_id_taken', detail: 'A user with this externalId already exists' },
  { index: 'uq_users_tenant_username', column: 'username', code: 'username_taken', detail: 'A user with this username already exists' },
];

/** A user named by the URL: /users/{id} or /users/external/{externalId}. */
export type UserRef = { id: string } | { externalId: string };

export type { IfMatch } from '../common/if-match.js';

/** Actions of POST /users/{id}/actions/{action} that answer the user (users:write). */
export const USER_ACTIONS = [
  'deactivate',
  'reactivate',
  'allow-password-reset',
  'disallow-password-reset',
  'require-password-reset',
  'reset-tfa',
  'unlock',
] as const;
export type UserAction = (typeof USER_ACTIONS)[number];

/** Actions that only record an event when they change something. */
const STATE_ACTIONS = new Set<UserAction>(['deactivate', 'reactivate']);
const AUDIT_ACTION: Record<UserAction, AuditAction> = {
  deactivate: 'user.deactivated',
  reactivate: 'user.reactivated',
  'allow-password-reset': 'user.password_reset_allowed',
  'disallow-password-reset': 'user.password_reset_disallowed',
  'require-password-reset': 'user.password_reset_required',
  'reset-tfa': 'user.tfa_reset',
  unlock: 'user.unlocked',
};

export interface UserListQuery {
  limit: number;
  offset: number;
  after?: string;
  sort: UserSort;
  count: boolean;
  filter: UsersFilter;
}

/**
 * Fields masked for a viewer that may not see personal data in clear. Such a viewer may find
 * a user by the whole value (eq, ne) or ask whether there is one (pr), but not compare,
 * order or search inside it (sw "a", gt "m"…), which would spell the value out a letter at a
 * time. `userName` is the email for a user without a username, so it counts as masked too.
 */
const MASKED_FIELDS = new Set(['email', 'phone', 'userName']);
const MASKED_OPS = new Set(['eq', 'ne', 'pr']);

export interface UserSearchPage {
  users: UserWithRelations[];
  /** How many users match, whatever the page. */
  total: number;
}

export interface UserPage {
  users: UserWithRelations[];
  nextCursor: string | null;
  total?: number;
}

/** What a cursor holds for each sort: the last row's value, and how to read it back. */
interface SortKey {
  value: (user: User) => string | null;
  parse: (value: string) => string | Date;
  nullable: boolean;
}

const parseDate = (value: string): Date => {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw DomainError.validation([{ field: 'after', message: 'is not a cursor returned by this API' }]);
  return date;
};

/** Each sort is backed by an index (tenant_id, column, id); see User and UsersRepository. */
const SORT_KEYS: Record<string, SortKey> = {
  createdAt: { value: (u) => u.createdAt.toISOString(), parse: parseDate, nullable: false },
  name: { value: (u) => u.name, parse: (v) => v, nullable: false },
  email: { value: (u) => u.email, parse: (v) => v, nullable: false },
  lastLoginAt: { value: (u) => u.lastLoginAt?.toISOString() ?? null, parse: parseDate, nullable: true },
};

function unique<T>(values: readonly T[]): T[] {
  return [...new Set(values)];
}

/** The name a user has until it is given one: firstName lastName, else the local part of the email. */
function derivedName(firstName: string | null | undefined, lastName: string | null | undefined, email: string): string {
  const full = [firstName, lastName].filter((part) => typeof part === 'string' && part.trim() !== '').join(' ').trim();
  return (full || email.slice(0, email.lastIndexOf('@'))).slice(0, 200);
}

/**
 * A derived name follows firstName, lastName and email; a name sent makes it the user's own,
 * unless it is the current name or the one it would take anyway (a read-modify-write PUT
 * sends the name back as it read it, and that is no choice of a name).
 */
function nameChanges(user: User, input: UserInputDto): Pick<Partial<User>, 'name' | 'nameExplicit'> {
  if (user.nameExplicit) return input.name === undefined ? {} : { name: input.name };
  const derived = derivedName(
    input.firstName === undefined ? user.firstName : input.firstName,
    input.lastName === undefined ? user.lastName : input.lastName,
    input.email === undefined ? user.email : canonicalEmail(input.email),
  );
  if (input.name !== undefined && input.name !== user.name && input.name !== derived) return { name: input.name, nameExplicit: true };
  return derived === user.name ? {} : { name: derived };
}

/** Fields whose change alters a user's credentials or standing (API.md section 2). */
const STANDING_FLAGS = ['active', 'admin', 'planAdmin', 'tfa', 'resetPassword', 'resetTfa', 'passwordResetAllowed', 'canViewMaskedData', 'onlySeesReadable'] as const;

const sameList = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && a.every((value, i) => value === b[i]);
const sameSet = (a: readonly string[], b: readonly string[]): boolean => {
  const left = new Set(a);
  const right = new Set(b);
  return left.size === right.size && [...left].every((value) => right.has(value));
};

const maskedValue = (field: string): DomainError =>
  DomainError.validation([{ field, message: 'is a masked rendering that is not this user’s; send the value itself or leave the field out' }]);

/**
 * A masked viewer's read-modify-write sends masked renderings back (`m***@bar.com`,
 * `+*******7762`, `***`): the field keeps its value, since a masked value is never stored.
 * A masked rendering that is not the current value's (or on create) is a 422.
 */
export function withoutMaskedEchoes(input: UserInputDto, current: UserWithRelations | null): UserInputDto {
  const result: UserInputDto = { ...input };
  if (input.email !== undefined && isMaskedEmail(input.email)) {
    if (!current || canonicalEmail(input.email) !== maskEmail(current.user.email)) throw maskedValue('email');
    delete result.email;
  }
  if (typeof input.phone === 'string' && isMaskedPhone(input.phone)) {
    if (!current || current.user.phone === null || input.phone !== maskPhone(current.user.phone)) throw maskedValue('phone');
    delete result.phone;
  }
  if (input.ipWhitelist?.includes(MASKED_IP_ENTRY)) {
    const echoed = current && input.ipWhitelist.length === current.ipWhitelist.length && input.ipWhitelist.every((e) => e === MASKED_IP_ENTRY);
    if (!echoed) throw maskedValue('ipWhitelist');
    delete result.ipWhitelist;
  }
  return result;
}

/** Whether the body changes the user's credentials or standing, compared with what it holds now. */
function changesStanding(input: UserInputDto, current: UserWithRelations, groupIds: string[] | undefined): boolean {
  const { user } = current;
  if (input.password !== undefined) return true;
  if (input.email !== undefined && canonicalEmail(input.email) !== user.email) return true;
  if (input.username !== undefined && (input.username?.toLowerCase() ?? null) !== user.username) return true;
  if (input.sessionsLimit !== undefined && input.sessionsLimit !== user.sessionsLimit) return true;
  if (STANDING_FLAGS.some((flag) => input[flag] !== undefined && input[flag] !== user[flag])) return true;
  if (input.ipWhitelist !== undefined && !sameList(input.ipWhitelist, current.ipWhitelist)) return true;
  if (groupIds !== undefined && !sameSet(groupIds, current.groups.map((g) => g.id))) return true;
  return false;
}

@Injectable()
export class UsersService {
  private readonly cursors: CursorSeal;

  constructor(
    private readonly dataSource: DataSource,
    private readonly db: Database,
    private readonly audit: AuditService,
    private readonly mail: MailService,
    encryption: EncryptionKey,
    private readonly repository: UsersRepository,
    private readonly tenants: TenantsService,
    @Inject(CREDENTIALS_REVOKER) private readonly credentials: CredentialsRevoker,
  ) {
    this.cursors = new CursorSeal(encryption.key, 'users list');
  }

  async get(ctx: TenantContext, ref: UserRef): Promise<UserWithRelations> {
    const manager = this.dataSource.manager;
    const user = await this.findUser(manager, ctx.tenantId, ref, false);
    const [loaded] = await this.withRelations(manager, ctx.tenantId, [user]);
    return loaded!;
  }

  async list(ctx: TenantContext, query: UserListQuery): Promise<UserPage> {
    const { page, sortKey, total } = await this.listRequest(ctx, query);
    const { users, more } = await this.repository.listPage(ctx.tenantId, page);
    const last = users.at(-1)?.user;
    const nextCursor = more && last ? this.cursors.seal([query.sort, sortKey.value(last), last.id]) : null;
    return total === undefined ? { users, nextCursor } : { users, nextCursor, total };
  }

  /**
   * The same page as the JSON text GET /api/v2/users answers, `{ data, meta }`, written
   * straight from the page's rows (writeUserPage): the same bytes as
   * `JSON.stringify({ data: toUserResponses(list(…).users, viewer), meta })`, for a fraction
   * of the work.
   */
  async listJson(ctx: TenantContext, query: UserListQuery): Promise<string> {
    const { page, sortKey, total } = await this.listRequest(ctx, query);
    const { rows, more, last, columns, conversions } = await this.repository.listPageRows(ctx.tenantId, page);
    const nextCursor = more && last ? this.cursors.seal([query.sort, sortKey.value(last), last.id]) : null;
    const meta: PageMeta = { limit: query.limit, offset: query.offset, nextCursor };
    if (total !== undefined) meta.total = total;
    return writeUserPage(rows, columns, conversions, ctx.principal, meta);
  }

  /** A list request's checks, its page as the repository reads it, the sort's cursor key, and the count when asked. */
  private async listRequest(ctx: TenantContext, query: UserListQuery): Promise<{ page: UserListPage; sortKey: SortKey; total?: number }> {
    const sortName = query.sort.replace(/^-/, '');
    // The order of a list sorted by email gives the addresses away to a viewer that sees
    // them masked: with users it creates itself as markers, it could bisect every one.
    if (sortName === 'email' && !seesMaskedData(ctx.principal)) {
      throw new DomainError('forbidden', 'Sorting by email needs canViewMaskedData');
    }
    const filter: UsersFilter = query.filter.email === undefined ? query.filter : { ...query.filter, email: canonicalEmail(query.filter.email) };
    const total = query.count ? await this.repository.countList(ctx.tenantId, filter) : undefined;
    const sortKey = SORT_KEYS[sortName]!;
    const after = query.after === undefined ? undefined : this.openCursor(sortKey, query.sort, query.after);
    return { page: { filter, sort: query.sort, after, offset: query.offset, limit: query.limit }, sortKey, total };
  }

  /**
   * The users matching a condition (SCIM's filters), a page of them by offset, and how many
   * match in all. The count costs a second query only when the page is full.
   */
  async search(ctx: TenantContext, search: UserSearch): Promise<UserSearchPage> {
    if (!seesMaskedData(ctx.principal)) {
      const probe = comparedFields(search.where).find(({ field, op }) => MASKED_FIELDS.has(field) && !MASKED_OPS.has(op));
      if (probe) throw new DomainError('invalid_filter', `${probe.field} is masked for this caller: only eq, ne and pr apply to it`);
      if (search.sort && MASKED_FIELDS.has(search.sort.field)) throw new DomainError('invalid_value', `${search.sort.field} is masked for this caller and cannot order the results`);
    }
    const manager = this.dataSource.manager;
    const rows = await this.repository.search(ctx.tenantId, search, manager);
    const complete = rows.length < search.limit && (rows.length > 0 || search.offset === 0);
    const total = complete ? search.offset + rows.length : await this.repository.count(ctx.tenantId, search.where, manager);
    return { users: await this.withRelations(manager, ctx.tenantId, rows), total };
  }

  async create(ctx: TenantContext, sent: UserInputDto): Promise<UserWithRelations> {
    const input = withoutMaskedEchoes(sent, null);
    if (input.email === undefined) throw DomainError.validation([{ field: 'email', message: 'is required' }]);
    const passwordHash = input.password === undefined ? null : await this.checkedHash(ctx.tenantId, input.password);
    let loaded: UserWithRelations;
    let user: User;
    try {
      loaded = await this.db.transaction(async (manager) => {
        const groups = input.groups === undefined ? undefined : await this.groupsToWrite(manager, ctx.tenantId, input.groups);
        user = await this.insertWithin(manager, ctx, input, passwordHash, groups);
        return (await this.withRelations(manager, ctx.tenantId, [user]))[0]!;
      });
    } catch (error) {
      Database.rethrowUnique(error, UNIQUE_RULES);
    }
    if (input.sendNotify === true) this.mail.sendAccountCreated(user!);
    return loaded;
  }

  /**
   * A new user from a body already freed of masked echoes (with `email`), inside the caller's
   * transaction: the privilege guard, the row, its relations and the user.created event.
   * `groups` are the tenant's rows the body names. For create and for the import's batches.
   */
  async insertWithin(
    manager: EntityManager,
    ctx: TenantContext,
    input: UserInputDto,
    passwordHash: string | null,
    groups: Group[] | undefined,
    importedHashDigest: string | null = null,
  ): Promise<User> {
    const now = new Date();
    const user = this.newUserRow(ctx, input, passwordHash, importedHashDigest, now);
    await this.checkNewUser(manager, ctx, user, input, groups);
    await this.repository.insert(ctx.tenantId, user, manager);
    await this.replaceRelations(manager, ctx.tenantId, user.id, input, groups, now, true);
    await this.audit.recordFor(manager, ctx, 'user.created', { type: 'user', id: user.id });
    return user;
  }

  /** The privilege guard and the manager rule for a new user, before anything is written. */
  async checkNewUser(manager: EntityManager, ctx: TenantContext, user: User, input: UserInputDto, groups: Group[] | undefined): Promise<void> {
    assertMayGrant(ctx, input, null, new Set(), groups);
    await this.requireManager(manager, ctx.tenantId, user.id, user.managerId);
  }

  /**
   * New users that checkNewUser passed, written as insertWithin writes one but a statement per
   * table for them all: the import's batches. Each gets its user.created event.
   */
  async insertManyWithin(manager: EntityManager, ctx: TenantContext, items: { user: User; input: UserInputDto; groups: Group[] | undefined }[]): Promise<void> {
    if (!items.length) return;
    const { tenantId } = ctx;
    await this.repository.insertMany(tenantId, items.map((item) => item.user), manager);
    const groups = items.flatMap(({ user, groups: rows }) => (rows ?? []).map((group) => ({ userId: user.id, groupId: group.id, tenantId })));
    const entries = items.flatMap(({ user, input }) => (input.ipWhitelist ?? []).map((entry, position) => ({ userId: user.id, tenantId, position, entry })));
    const tags = items.flatMap(({ user, input }) => unique(input.clientTags ?? []).map((tag, position) => ({ userId: user.id, tenantId, tag, position })));
    const plans = items.flatMap(({ user, input }) =>
      [...new Map((input.plans ?? []).map((p) => [p.planId, p.validTo ?? null]))].map(([planId, validTo]) => ({ userId: user.id, planId, tenantId, validFrom: user.createdAt, validTo })),
    );
    await this.repository.insertRelationsMany(tenantId, { groups, entries, tags, plans }, manager);
    await this.audit.recordManyFor(manager, ctx, 'user.created', items.map(({ user }) => ({ type: 'user', id: user.id })));
  }

  /** A new user's row from a body freed of masked echoes (with `email`), not yet written. */
  newUserRow(ctx: TenantContext, input: UserInputDto, passwordHash: string | null, importedHashDigest: string | null, now = new Date()): User {
    const email = storableEmail(input.email!);
    const user = Object.assign(new User(), {
      id: newId(),
      tenantId: ctx.tenantId,
      externalId: null,
      name: input.name ?? derivedName(input.firstName, input.lastName, email),
      nameExplicit: input.name !== undefined && input.name !== derivedName(input.firstName, input.lastName, email),
      firstName: null,
      lastName: null,
      username: null,
      email,
      phone: null,
      active: true,
      admin: false,
      planAdmin: false,
      tfa: false,
      resetPassword: false,
      resetTfa: false,
      passwordResetAllowed: true,
      canViewMaskedData: false,
      onlySeesReadable: false,
      sessionsLimit: null,
      employeeNumber: null,
      costCenter: null,
      organization: null,
      division: null,
      department: null,
      managerId: null,
      passwordHash,
      importedHashDigest,
      version: 1,
      lastLoginAt: null,
      lastActionAt: null,
      lockedUntil: null,
      failedLogins: 0,
      createdAt: now,
      updatedAt: now,
    } satisfies Omit<User, 'tenant' | 'manager'>);
    Object.assign(user, this.scalarChanges(input));
    return user;
  }

  /** PUT and PATCH: only the fields sent change; the version must match If-Match when sent. */
  async update(ctx: TenantContext, ref: UserRef, sent: UserInputDto, ifMatch: IfMatch): Promise<UserWithRelations> {
    const passwordHash = sent.password === undefined ? undefined : await this.checkedHash(ctx.tenantId, sent.password);
    try {
      return await this.db.transaction(async (manager) => {
        if (sent.admin === false || sent.active === false) await lockTenantAdmins(manager, ctx.tenantId);
        const user = await this.findUser(manager, ctx.tenantId, ref, true);
        checkVersion(ifMatch, user.version);
        const [current] = await this.withRelations(manager, ctx.tenantId, [user]);
        const input = withoutMaskedEchoes(sent, current!);
        const groups = input.groups === undefined ? undefined : await this.groupsToWrite(manager, ctx.tenantId, input.groups);
        await this.updateWithin(manager, ctx, current!, input, groups, passwordHash);
        return (await this.withRelations(manager, ctx.tenantId, [user]))[0]!;
      });
    } catch (error) {
      Database.rethrowUnique(error, UNIQUE_RULES);
    }
  }

  /**
   * Changes a user, locked and loaded by the caller's transaction, as a body freed of masked
   * echoes asks: the privilege guard and the stronger-user rule, the last-admin rule, the
   * row, its relations, the session effects and the events. For update and the import.
   */
  async updateWithin(
    manager: EntityManager,
    ctx: TenantContext,
    current: UserWithRelations,
    input: UserInputDto,
    groups: Group[] | undefined,
    passwordHash: string | undefined,
    importedHashDigest?: string,
  ): Promise<void> {
    const { user } = current;
    assertMayGrant(ctx, input, user, new Set(current.groups.map((g) => g.id)), groups);
    if (changesStanding(input, current, groups?.map((g) => g.id)) || passwordHash !== undefined) assertMayActOn(ctx, user, current.groups);
    await assertKeepsAnAdmin(manager, user, input);
    const now = new Date();
    const wasActive = user.active;
    const changes: Partial<User> = { ...this.scalarChanges(input), ...nameChanges(user, input), version: user.version + 1, updatedAt: now };
    if (passwordHash !== undefined) changes.passwordHash = passwordHash;
    if (importedHashDigest !== undefined) changes.importedHashDigest = importedHashDigest;
    if (changes.managerId !== undefined) await this.requireManager(manager, ctx.tenantId, user.id, changes.managerId);
    await this.repository.update(ctx.tenantId, user.id, changes, manager);
    Object.assign(user, changes);
    await this.replaceRelations(manager, ctx.tenantId, user.id, input, groups, now, false);
    // Setting the password ends the user's sessions, whoever sets it.
    if (passwordHash !== undefined) await this.credentials.endSessions(manager, user, 'password_changed');
    // `active` sent with a new value is the deactivate or reactivate action: the same
    // session effects and the same event (SCIM's `active: false` arrives here).
    const standing = changes.active !== undefined && changes.active !== wasActive ? (changes.active ? 'reactivate' : 'deactivate') : null;
    if (standing === 'deactivate') await this.deactivated(manager, user);
    const onlyStanding = standing !== null && Object.entries(input).every(([key, value]) => key === 'active' || value === undefined);
    const target = { type: 'user', id: user.id } as const;
    if (!onlyStanding) await this.audit.recordFor(manager, ctx, 'user.updated', target);
    if (standing) await this.audit.recordFor(manager, ctx, AUDIT_ACTION[standing]!, target);
  }

  /**
   * PUT /users/external/{externalId}: updates the user with that externalId or creates one.
   * Two concurrent first upserts race to insert; the loser meets the unique index and
   * retries as an update, so they end in one user.
   */
  async upsertByExternalId(
    ctx: TenantContext,
    externalId: string,
    input: UserInputDto,
    ifMatch: IfMatch,
  ): Promise<{ user: UserWithRelations; created: boolean }> {
    if (input.externalId !== undefined && input.externalId !== externalId) {
      throw DomainError.validation([{ field: 'externalId', message: 'must match the externalId in the URL' }]);
    }
    for (let attempt = 0; attempt < 3; attempt++) {
      const existing = await this.externalIdExists(ctx.tenantId, externalId);
      if (existing) {
        try {
          return { user: await this.update(ctx, { id: existing.id }, input, ifMatch), created: false };
        } catch (error) {
          if (error instanceof DomainError && error.code === 'not_found') continue; // deleted meanwhile
          throw error;
        }
      }
      if (ifMatch !== undefined) throw new DomainError('precondition_failed', 'No user has this externalId, so If-Match cannot match');
      try {
        return { user: await this.create(ctx, { ...input, externalId }), created: true };
      } catch (error) {
        // MySQL names whichever unique index it checked first, so a racing twin with the
        // same email may show up as email_taken: retry only if the externalId exists now.
        const lostRace = error instanceof DomainError && UNIQUE_RULES.some((rule) => rule.code === error.code);
        if (!lostRace || !(await this.externalIdExists(ctx.tenantId, externalId))) throw error;
      }
    }
    throw new DomainError('conflict', 'The user changed concurrently; retry the request');
  }

  private async externalIdExists(tenantId: string, externalId: string): Promise<{ id: string } | null> {
    const id = await this.repository.idByExternalId(tenantId, externalId);
    return id === null ? null : { id };
  }

  /** Erases the user; its sessions, key, groups, plans, tags and allow-list cascade. The audit event keeps only the id. */
  async remove(ctx: TenantContext, ref: UserRef, ifMatch: IfMatch): Promise<void> {
    await this.db.transaction(async (manager) => {
      await lockTenantAdmins(manager, ctx.tenantId);
      const user = await this.findUser(manager, ctx.tenantId, ref, true);
      checkVersion(ifMatch, user.version);
      await this.assertMayActOn(manager, ctx, user);
      await assertKeepsAnAdmin(manager, user, { deleted: true });
      await this.repository.remove(ctx.tenantId, user.id, manager);
      await this.audit.recordFor(manager, ctx, 'user.deleted', { type: 'user', id: user.id });
    });
  }

  async act(ctx: TenantContext, ref: UserRef, action: UserAction): Promise<UserWithRelations> {
    return this.db.transaction(async (manager) => {
      if (action === 'deactivate') await lockTenantAdmins(manager, ctx.tenantId);
      const user = await this.findUser(manager, ctx.tenantId, ref, true);
      await this.assertMayActOn(manager, ctx, user);
      const changes = await this.actionChanges(manager, user, action);
      if (changes) {
        await assertKeepsAnAdmin(manager, user, changes);
        Object.assign(changes, { version: user.version + 1, updatedAt: new Date() });
        await this.repository.update(ctx.tenantId, user.id, changes, manager);
        Object.assign(user, changes);
      }
      if (changes || !STATE_ACTIONS.has(action)) {
        await this.audit.recordFor(manager, ctx, AUDIT_ACTION[action], { type: 'user', id: user.id });
      }
      return (await this.withRelations(manager, ctx.tenantId, [user]))[0]!;
    });
  }

  /**
   * What deactivating does besides clearing `active`, for the action and for `active: false`
   * sent to PUT/PATCH (SCIM's deprovisioning) alike: the sessions end; the API key stays but is
   * refused while the user is inactive.
   */
  private async deactivated(manager: EntityManager, user: User): Promise<void> {
    await this.credentials.endSessions(manager, user, 'deactivated');
  }

  /** The columns an action changes, after doing its session side effects; null = none. */
  private async actionChanges(manager: EntityManager, user: User, action: UserAction): Promise<Partial<User> | null> {
    switch (action) {
      case 'deactivate':
        if (user.active) await this.deactivated(manager, user);
        return user.active ? { active: false } : null;
      case 'reactivate':
        return user.active ? null : { active: true };
      case 'allow-password-reset':
        return { passwordResetAllowed: true };
      case 'disallow-password-reset':
        return { passwordResetAllowed: false };
      case 'require-password-reset':
        return { resetPassword: true };
      case 'reset-tfa':
        await this.credentials.resetTfa(manager, user);
        return { resetTfa: true };
      case 'unlock':
        return { lockedUntil: null, failedLogins: 0 };
    }
  }

  /** Ends every session of the user: an access token issued before gets 401 on its next request. */
  async forceLogout(ctx: TenantContext, ref: UserRef): Promise<UserWithRelations> {
    return this.db.transaction(async (manager) => {
      const user = await this.findUser(manager, ctx.tenantId, ref, true);
      await this.assertMayActOn(manager, ctx, user);
      await this.credentials.endSessions(manager, user, 'force_logout');
      await this.audit.recordFor(manager, ctx, 'user.force_logged_out', { type: 'user', id: user.id });
      return (await this.withRelations(manager, ctx.tenantId, [user]))[0]!;
    });
  }

  /** A new API key, shown this once; the old one stops at once. */
  async resetApiKey(ctx: TenantContext, ref: UserRef): Promise<string> {
    return this.db.transaction(async (manager) => {
      const user = await this.findUser(manager, ctx.tenantId, ref, true);
      await this.assertMayActOn(manager, ctx, user);
      const key = await this.credentials.resetApiKey(manager, user);
      await this.audit.recordFor(manager, ctx, 'user.api_key_reset', { type: 'user', id: user.id });
      return key;
    });
  }

  /** The user's id, for routes that hang off a user (sessions). */
  async idOf(ctx: TenantContext, ref: UserRef): Promise<string> {
    return (await this.findUser(this.dataSource.manager, ctx.tenantId, ref, false)).id;
  }

  /**
   * For routes elsewhere that change a user's credentials or standing (ending one of its
   * sessions): inside the caller's transaction, 403 unless the caller may act on the user.
   */
  async assertMayActOnUser(manager: EntityManager, ctx: TenantContext, userId: string): Promise<void> {
    await this.assertMayActOn(manager, ctx, await this.findUser(manager, ctx.tenantId, { id: userId }, true));
  }

  private async assertMayActOn(manager: EntityManager, ctx: TenantContext, user: User): Promise<void> {
    if (ctx.principal.kind === 'operator' || ctx.principal.admin) return;
    const [loaded] = await this.withRelations(manager, ctx.tenantId, [user]);
    assertMayActOn(ctx, user, loaded!.groups);
  }

  async checkedHash(tenantId: string, password: string): Promise<string> {
    checkPasswordPolicy(password, await this.tenants.passwordMinLength(tenantId), 'password');
    return hashPassword(password);
  }

  /** The column changes a body asks for; relations and write-only fields are handled apart. */
  scalarChanges(input: UserInputDto): Partial<User> {
    const changes: Partial<User> = {};
    if (input.externalId !== undefined) changes.externalId = input.externalId;
    if (input.name !== undefined) changes.name = input.name;
    if (input.firstName !== undefined) changes.firstName = input.firstName;
    if (input.lastName !== undefined) changes.lastName = input.lastName;
    if (input.username !== undefined) changes.username = input.username === null ? null : input.username.toLowerCase();
    if (input.email !== undefined) changes.email = storableEmail(input.email);
    if (input.phone !== undefined) changes.phone = input.phone;
    if (input.sessionsLimit !== undefined) changes.sessionsLimit = input.sessionsLimit;
    const enterprise = input.enterprise ?? {};
    for (const field of ['employeeNumber', 'costCenter', 'organization', 'division', 'department'] as const) {
      const value = enterprise[field];
      if (value !== undefined) changes[field] = value;
    }
    if (enterprise.managerId !== undefined) changes.managerId = enterprise.managerId === null ? null : enterprise.managerId.toLowerCase();
    for (const flag of STANDING_FLAGS) {
      const value = input[flag];
      if (value !== undefined) changes[flag] = value;
    }
    return changes;
  }

  /**
   * The groups a body names, as rows of the tenant: what the privilege guard checks and what
   * is written are the same rows. An id of no group in the tenant is a 422 on its position.
   */
  private async groupsToWrite(manager: EntityManager, tenantId: string, sent: string[]): Promise<Group[]> {
    const ids = unique(sent);
    const found = ids.length ? await manager.find(Group, { where: { tenantId, id: In(ids) } }) : [];
    const byId = new Map(found.map((group) => [group.id, group]));
    const errors: FieldError[] = [];
    sent.forEach((id, index) => {
      if (!byId.has(id)) errors.push({ field: `groups[${index}]`, message: 'no group with this id in the tenant' });
    });
    if (errors.length) throw DomainError.validation(errors);
    return ids.map((id) => byId.get(id)!);
  }

  /** Replaces each child set the body sends; leaves the others alone. */
  private async replaceRelations(
    manager: EntityManager,
    tenantId: string,
    userId: string,
    input: UserInputDto,
    groups: Group[] | undefined,
    now: Date,
    isNew: boolean,
  ): Promise<void> {
    if (groups !== undefined) await this.repository.replaceGroups(tenantId, userId, groups.map((group) => group.id), manager, isNew);
    if (input.ipWhitelist !== undefined) await this.repository.replaceIpWhitelist(tenantId, userId, input.ipWhitelist, manager, isNew);
    if (input.clientTags !== undefined) await this.repository.replaceClientTags(tenantId, userId, unique(input.clientTags), manager, isNew);
    if (input.plans !== undefined) await this.replacePlans(manager, tenantId, userId, input.plans, now, isNew);
  }

  /** An assignment kept in the new set keeps its validFrom; later duplicates of a planId win. */
  private async replacePlans(
    manager: EntityManager,
    tenantId: string,
    userId: string,
    plans: PlanAssignmentDto[],
    now: Date,
    isNew: boolean,
  ): Promise<void> {
    const wanted = new Map(plans.map((p) => [p.planId, p.validTo ?? null]));
    const ids = [...wanted.keys()];
    const found = ids.length ? await manager.find(Plan, { select: { id: true }, where: { tenantId, id: In(ids) } }) : [];
    const known = new Set(found.map((row) => row.id));
    const errors: FieldError[] = [];
    plans.forEach((plan, index) => {
      if (!known.has(plan.planId)) errors.push({ field: `plans[${index}].planId`, message: 'no plan with this id in the tenant' });
    });
    if (errors.length) throw DomainError.validation(errors);
    const previous = isNew ? [] : await this.repository.planAssignments(tenantId, userId, manager);
    const since = new Map(previous.map((p) => [p.planId, p.validFrom]));
    const rows = [...wanted].map(([planId, validTo]) => ({ planId, validFrom: since.get(planId) ?? now, validTo }));
    await this.repository.replacePlans(tenantId, userId, rows, manager, isNew);
  }

  /** A manager is another user of the same tenant. */
  private async requireManager(manager: EntityManager, tenantId: string, userId: string, managerId: string | null): Promise<void> {
    if (managerId === null) return;
    const field = 'enterprise.managerId';
    if (managerId === userId) throw DomainError.validation([{ field, message: 'a user cannot be its own manager' }]);
    if (!(await this.repository.exists(tenantId, managerId, manager))) throw DomainError.validation([{ field, message: 'no user with this id in the tenant' }]);
  }

  private async findUser(manager: EntityManager, tenantId: string, ref: UserRef, forUpdate: boolean): Promise<User> {
    if ('id' in ref && !isUuid(ref.id)) throw DomainError.notFound('User');
    const [by, value] = 'id' in ref ? (['id', ref.id] as const) : (['externalId', ref.externalId] as const);
    const user = forUpdate ? await this.repository.findForUpdate(tenantId, by, value, manager) : await this.repository.findOne(tenantId, by, value, manager);
    if (!user) throw DomainError.notFound('User');
    return user;
  }

  /**
   * The sealed cursor of the last page, opened: it must have been made for this sort, and
   * hold a value a sort of this kind can hold.
   */
  private openCursor(key: SortKey, sort: string, after: string): { value: string | Date | null; id: string } {
    const [cursorSort, rawValue, lastId] = this.cursors.open(after, 3);
    if (cursorSort !== sort || typeof lastId !== 'string' || (rawValue !== null && typeof rawValue !== 'string') || (rawValue === null && !key.nullable)) {
      throw DomainError.validation([{ field: 'after', message: 'is not a cursor returned by this API for this sort' }]);
    }
    return { value: rawValue === null ? null : key.parse(rawValue), id: lastId };
  }

  /** The users with the rows hanging off them, for a response (one statement; see UsersRepository). */
  withRelations(manager: EntityManager, tenantId: string, users: User[]): Promise<UserWithRelations[]> {
    return this.repository.withChildRows(tenantId, users, manager);
  }
}
