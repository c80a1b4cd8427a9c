import { Injectable, Logger } from '@nestjs/common';
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { DataSource, type EntityManager } from 'typeorm';
import { AuditService } from '../../audit/audit.service.js';
import type { TenantContext } from '../../auth/request-context.js';
import { canonicalEmail } from '../../common/email.js';
import { canonicalId, isUuid } from '../../common/ids.js';
import { DomainError, type FieldError } from '../../common/errors.js';
import { domainProblem, type Problem } from '../../common/problem.filter.js';
import { validationPipe } from '../../common/validation.js';
import { Database } from '../../database/database.service.js';
import { Group } from '../../groups/group.entity.js';
import { Plan } from '../../plans/plan.entity.js';
import { SharedRedis } from '../../redis/shared-redis.js';
import { TenantsService } from '../../tenants/tenants.service.js';
import type { UserWithRelations } from '../dto/user-response.dto.js';
import { UserInputDto } from '../dto/user.dto.js';
import { hashFormat, verifyPassword } from '../passwords.js';
import { lockTenantAdmins } from '../privileges.js';
import { User } from '../user.entity.js';
import { CHILD_ROW_KINDS, type ChildRowKind } from '../child-rows.repository.js';
import { UsersRepository, type SourceSecondFactor } from '../users.repository.js';
import { UNIQUE_RULES, UsersService, withoutMaskedEchoes } from '../users.service.js';
import { importRecords, type ImportFormat, type SourceRecord } from './import-records.js';
import { quickUserInput } from './import-validation.js';

export type ImportMode = 'upsert' | 'create';

export interface ImportOptions {
  mode: ImportMode;
  dryRun: boolean;
  format: ImportFormat;
  /**
   * The operator's `credentialsFrom`, resolved by credentialsSource: the id of another tenant
   * whose users, named by the records' `id`, give the new users their password hash and second
   * factor. No hash ever leaves the service (the export carries none), so this is how a tenant
   * moves with its users' passwords.
   */
  credentialsFrom?: string;
}

export type ImportStatus = 'created' | 'updated' | 'unchanged' | 'error';

export interface ImportLine {
  line: number;
  status: ImportStatus;
  id?: string;
  error?: Problem;
}

export interface ImportSummary {
  summary: { records: number; created: number; updated: number; unchanged: number; errors: number; mode: ImportMode; dryRun: boolean };
}

/** Records applied per transaction: an interrupted import leaves whole batches. */
export const IMPORT_BATCH_SIZE = 500;

/** Fields of the user representation (what the export writes) that an import does not set. */
const READ_ONLY_FIELDS = ['id', 'tenantId', 'tfaEnrolled', 'permissions', 'createdAt', 'updatedAt', 'lastLoginAt', 'lastActionAt', 'lockedUntil', 'version'];
/** What a record's body loses before validation: the read-only fields, sendNotify, and the hash (taken apart). */
const SKIPPED_FIELDS = new Set([...READ_ONLY_FIELDS, 'sendNotify', 'passwordHash']);

/** A record ready to apply: its body as the users service takes it, and the hash to store. */
interface Prepared {
  line: number;
  input: UserInputDto;
  email: string;
  groups: Group[] | undefined;
  /** A hash as given, or one made of a plaintext `password`; undefined = the record sets none. */
  passwordHash: string | undefined;
  /** Plaintext sent: kept to compare with the stored hash, so a re-run is "unchanged". */
  password: string | undefined;
  /** A `passwordHash` sent as it is: its SHA-256 is User.importedHashDigest (see digestOf). */
  givenHash: string | undefined;
  hashDigest?: string;
  /** With credentialsFrom: the record's `id`, a user of the source tenant. */
  sourceId?: string;
  /** That user's confirmed TOTP enrolment, copied with the password hash. */
  secondFactor?: SourceSecondFactor;
  /** Why the record cannot be applied, found before its batch's transaction. */
  refused?: DomainError;
  /**
   * With credentialsFrom: the record's managerId, when it is the id of a user of the source
   * tenant; the managerId written is that user's counterpart in this tenant (see settleManagers).
   */
  sourceManager?: string;
  /** That user's counterpart found in this tenant before the batch (by its externalId, else its email). */
  managerCounterpart?: string;
}

/**
 * With credentialsFrom: what resolves a managerId naming a user of the source tenant to the user
 * of this tenant its record became, as the import goes on.
 */
interface ManagerLinks {
  sourceTenantId: string;
  /** Source user id (a record's `id`) → the user its record created, updated or left unchanged here. */
  imported: Map<string, string>;
  /** Users a dry run's batches created and rolled back: a manager among them is in no table. */
  phantoms: Set<string>;
  /** Records waiting for their manager's record, further on in the file: applied after the rest. */
  held: Prepared[];
}

/** What one transaction adds to ManagerLinks: kept only once it commits (or a dry run's rolls back). */
interface LinksScratch {
  imported: Map<string, string>;
  held: Prepared[];
}

/** Who holds each unique value now, as a batch changes them: email, externalId, username → user id. */
interface Holders {
  email: Map<string, string>;
  externalId: Map<string, string>;
  username: Map<string, string>;
}

type Outcome = { line: number; status: Exclude<ImportStatus, 'error'>; id: string } | { line: number; error: DomainError };

/** A managerId that names no user this import can link: the very answer an unknown id gets. */
const unknownManager = (): DomainError => DomainError.validation([{ field: 'enterprise.managerId', message: 'no user with this id in the tenant' }]);

/** Thrown out of a dry run's transaction to roll it back with what it would have done. */
class DryRunRollback extends Error {
  constructor(readonly outcomes: Outcome[]) {
    super('dry run');
  }
}

const sameList = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && a.every((v, i) => v === b[i]);
const sameSet = (a: readonly string[], b: readonly string[]): boolean => {
  const left = new Set(a);
  return left.size === new Set(b).size && b.every((v) => left.has(v));
};

/**
 * POST /api/v2/users/import (API.md section 12): reads the body record by record, applies
 * them in batched transactions through the users service (the same guard, rules, relations
 * and per-user events as one create or update), and reports each record as its batch commits.
 */
@Injectable()
export class UsersImportService {
  private readonly logger = new Logger('UsersImport');
  /** Tenants with an import running in this instance; Redis makes it one across instances. */
  private readonly running = new Set<string>();
  private readonly pipe = validationPipe();

  constructor(
    private readonly dataSource: DataSource,
    private readonly db: Database,
    private readonly users: UsersService,
    private readonly repository: UsersRepository,
    private readonly audit: AuditService,
    private readonly redis: SharedRedis,
    private readonly tenants: TenantsService,
  ) {}

  /**
   * `credentialsFrom` checked before anything is read or written: only the operator may
   * name it (a tenant's admin or API key never reaches another tenant's hashes), and it must
   * name another existing tenant. Answers the source tenant's id.
   */
  async credentialsSource(ctx: TenantContext, ref: string): Promise<string> {
    if (ctx.principal.kind !== 'operator') throw new DomainError('forbidden', 'Only the operator may copy credentials from another tenant');
    const source = await this.tenants.findByRef(canonicalId(ref));
    if (!source) throw DomainError.notFound('Tenant');
    if (source.id === ctx.tenantId) {
      throw DomainError.validation([{ field: 'credentialsFrom', message: 'must name another tenant than the one imported into' }]);
    }
    return source.id;
  }

  /** Takes the tenant's import slot, or 409 when an import of the tenant is running. */
  async begin(tenantId: string): Promise<() => Promise<void>> {
    const busy = (): DomainError => new DomainError('conflict', 'An import of this tenant is already running; wait for it to finish');
    if (this.running.has(tenantId)) throw busy();
    this.running.add(tenantId);
    const key = `identity:import:${tenantId}`;
    const client = this.redis.ready ? this.redis.client : null;
    let token: string | null = null;
    let renew: NodeJS.Timeout | undefined;
    if (client) {
      token = `${process.pid}:${Date.now()}:${Math.random()}`;
      const taken = await client.set(key, token, 'PX', 60_000, 'NX').catch(() => 'OK');
      if (taken !== 'OK') {
        this.running.delete(tenantId);
        throw busy();
      }
      renew = setInterval(() => void client.pexpire(key, 60_000).catch(() => undefined), 20_000);
      renew.unref();
    }
    return async () => {
      clearInterval(renew);
      this.running.delete(tenantId);
      if (client && token) {
        const held = await client.get(key).catch(() => null);
        if (held === token) await client.del(key).catch(() => undefined);
      }
    };
  }

  /**
   * Runs an import whose slot `begin` took: `write` is awaited for each answer line, so a
   * client that stops reading stops the reading of its body too.
   */
  async run(ctx: TenantContext, body: Readable, options: ImportOptions, write: (text: string) => Promise<void>): Promise<ImportSummary> {
    const counts = { records: 0, created: 0, updated: 0, unchanged: 0, errors: 0 };
    const refs = await this.tenantRefs(ctx.tenantId);
    const links: ManagerLinks | undefined =
      options.credentialsFrom === undefined ? undefined : { sourceTenantId: options.credentialsFrom, imported: new Map(), phantoms: new Set(), held: [] };
    // A batch's answer lines go out as one write; a success line is written by hand (its
    // values are a number, a status and a UUID), an error line by JSON.stringify.
    const emit = async (outcomes: Outcome[]): Promise<void> => {
      outcomes.sort((a, b) => a.line - b.line);
      let text = '';
      for (const outcome of outcomes) {
        counts.records += 1;
        if ('error' in outcome) {
          counts.errors += 1;
          const line: ImportLine = { line: outcome.line, status: 'error', error: domainProblem(outcome.error, ctx.requestId) };
          text += `${JSON.stringify(line)}\n`;
        } else {
          counts[outcome.status] += 1;
          text += `{"line":${outcome.line},"status":"${outcome.status}","id":"${outcome.id}"}\n`;
        }
      }
      if (text) await write(text);
    };
    let batch: Prepared[] = [];
    let failed: Outcome[] = [];
    // A batch is applied while the next one is read and prepared (parsing and validation
    // are the service's, the lookups and writes the database's): the batches still apply and
    // answer one after the other, in the file's order, and at most two are held.
    let applying: Promise<void> = Promise.resolve();
    const flush = async (): Promise<void> => {
      const records = batch;
      const refused = failed;
      batch = [];
      failed = [];
      await applying;
      applying = (async () => {
        const outcomes = records.length ? await this.applyBatch(ctx, records, options, links) : [];
        await emit([...refused, ...outcomes]);
      })();
      // Awaited by the next flush; a failure must not go unhandled until then.
      applying.catch(() => undefined);
    };
    try {
      for await (const record of importRecords(body, options.format)) {
        const prepared = await this.prepare(ctx, record, refs, options);
        if ('error' in prepared) failed.push(prepared);
        else batch.push(prepared);
        if (batch.length + failed.length >= IMPORT_BATCH_SIZE) await flush();
      }
      await flush();
    } finally {
      // However the reading ended, the batch being applied is finished before the import's
      // slot is given back.
      await applying.catch(() => undefined);
    }
    await applying;
    if (links) await this.applyHeld(ctx, options, links, emit);
    const summary: ImportSummary = { summary: { ...counts, mode: options.mode, dryRun: options.dryRun } };
    if (!options.dryRun) {
      await this.db.transaction((manager) =>
        this.audit.recordFor(manager, ctx, 'tenant.users_imported', { type: 'tenant', id: ctx.tenantId }, ctx.tenantId, {
          records: counts.records,
          created: counts.created,
          updated: counts.updated,
          unchanged: counts.unchanged,
          errors: counts.errors,
          ...(options.credentialsFrom ? { credentialsFrom: options.credentialsFrom } : {}),
        }),
      );
    }
    await write(`${JSON.stringify(summary)}\n`);
    return summary;
  }

  /** The tenant's groups and plans by id and by name (a tenant has tens of them, not millions). */
  private async tenantRefs(tenantId: string): Promise<{ groups: Map<string, Group>; plans: Map<string, Plan> }> {
    const groups = await this.dataSource.getRepository(Group).find({ where: { tenantId } });
    const plans = await this.dataSource.getRepository(Plan).find({ where: { tenantId } });
    const index = <T extends { id: string; name: string }>(rows: T[]): Map<string, T> => {
      const map = new Map<string, T>();
      for (const row of rows) map.set(`name:${row.name.toLowerCase()}`, row);
      for (const row of rows) map.set(`id:${row.id}`, row);
      return map;
    };
    return { groups: index(groups), plans: index(plans) };
  }

  /** A record read, resolved, validated and its password settled, or why it cannot be applied. */
  private async prepare(
    ctx: TenantContext,
    record: SourceRecord,
    refs: { groups: Map<string, Group>; plans: Map<string, Plan> },
    options: ImportOptions,
  ): Promise<Prepared | { line: number; error: DomainError }> {
    const { line } = record;
    if ('problem' in record) {
      return { line, error: new DomainError(record.problem === 'too_long' ? 'payload_too_large' : 'bad_request', record.detail) };
    }
    // The body without the fields an import does not take, copied rather than deleted from
    // (a delete turns an object into a slow dictionary). An import never mails: a million
    // "account created" messages is never what is meant, so sendNotify is dropped too.
    const value: Record<string, unknown> = {};
    for (const key in record.value) {
      if (Object.hasOwn(record.value, key) && !SKIPPED_FIELDS.has(key) && key !== '__proto__') value[key] = record.value[key];
    }
    const passwordHash = record.value.passwordHash;
    const errors: FieldError[] = [];
    const find = <T extends { id: string }>(map: Map<string, T>, ref: unknown): T | undefined => {
      if (typeof ref === 'string') return map.get(`id:${ref.toLowerCase()}`) ?? map.get(`name:${ref.toLowerCase()}`);
      if (ref && typeof ref === 'object') {
        const { id, planId, name } = ref as { id?: unknown; planId?: unknown; name?: unknown };
        const byId = typeof (id ?? planId) === 'string' ? map.get(`id:${String(id ?? planId).toLowerCase()}`) : undefined;
        return byId ?? (typeof name === 'string' ? map.get(`name:${name.toLowerCase()}`) : undefined) ?? (typeof planId === 'string' ? map.get(`name:${planId.toLowerCase()}`) : undefined);
      }
      return undefined;
    };
    if (Array.isArray(value.groups)) {
      value.groups = value.groups.map((ref: unknown, index) => {
        const group = find(refs.groups, ref);
        if (!group) errors.push({ field: `groups[${index}]`, message: 'no group with this id or name in the tenant' });
        return group?.id;
      });
    }
    if (Array.isArray(value.plans)) {
      value.plans = value.plans.map((ref: unknown, index) => {
        const plan = find(refs.plans, ref);
        if (!plan) errors.push({ field: `plans[${index}]`, message: 'no plan with this id or name in the tenant' });
        const validTo = ref && typeof ref === 'object' ? (ref as { validTo?: unknown }).validTo : undefined;
        return validTo === undefined ? { planId: plan?.id } : { planId: plan?.id, validTo };
      });
    }
    if (passwordHash !== undefined && passwordHash !== null) {
      if (typeof passwordHash !== 'string' || hashFormat(passwordHash) === null) {
        errors.push({ field: 'passwordHash', message: 'is not a password hash this service reads (argon2, bcrypt, scrypt, PBKDF2 or Django pbkdf2_sha256)' });
      } else if (value.password !== undefined) errors.push({ field: 'passwordHash', message: 'cannot be sent with password' });
    }
    // With credentialsFrom, a record's `id` (as the export writes it) names the user of the
    // source tenant whose credentials it takes; the new user still gets an id of its own.
    let sourceId: string | undefined;
    const id = record.value.id;
    if (options.credentialsFrom !== undefined && id !== undefined && id !== null) {
      sourceId = typeof id === 'string' ? canonicalId(id) : undefined;
      if (sourceId === undefined || !isUuid(sourceId)) errors.push({ field: 'id', message: 'must be the id of a user of the tenant credentialsFrom names' });
      const sent = value.password !== undefined ? 'password' : passwordHash !== undefined && passwordHash !== null ? 'passwordHash' : null;
      if (sent) errors.push({ field: sent, message: 'cannot be sent with an id when credentialsFrom is given: the password comes from the user with that id' });
    }
    if (errors.length) return { line, error: DomainError.validation(errors) };
    let input: UserInputDto;
    try {
      const validated = quickUserInput(value) ?? ((await this.pipe.transform(value, { type: 'body', metatype: UserInputDto })) as UserInputDto);
      input = withoutMaskedEchoes(validated, null);
      if (input.email === undefined) throw DomainError.validation([{ field: 'email', message: 'is required' }]);
    } catch (error) {
      if (error instanceof DomainError) return { line, error };
      throw error;
    }
    const groups = input.groups?.map((id) => refs.groups.get(`id:${id}`)!);
    const password = input.password;
    delete input.password;
    const given = typeof passwordHash === 'string' ? passwordHash : undefined;
    return { line, input, email: canonicalEmail(input.email), groups, passwordHash: given, password, givenHash: given, ...(sourceId ? { sourceId } : {}) };
  }

  /**
   * One batch in one transaction. A record the rules refuse is an error line and the batch
   * goes on; a write the database refuses (a unique index met by a concurrent change) rolls
   * the batch back, and its records are then applied one transaction each.
   */
  private async applyBatch(ctx: TenantContext, batch: Prepared[], options: ImportOptions, links: ManagerLinks | undefined, settled = false): Promise<Outcome[]> {
    if (!settled) {
      await this.settlePasswords(ctx, batch, options.mode);
      if (links) {
        await this.settleCredentials(links.sourceTenantId, batch);
        await this.settleManagers(ctx.tenantId, batch, links);
      }
    }
    try {
      return await this.inTransaction(ctx, batch, options, links);
    } catch (error) {
      if (batch.length === 1 || error instanceof DryRunRollback) throw error;
      this.logger.warn({ requestId: ctx.requestId, lines: [batch[0]!.line, batch.at(-1)!.line] }, 'import batch rolled back; applying its records one by one');
      const outcomes: Outcome[] = [];
      for (const record of batch) {
        try {
          outcomes.push(...(await this.inTransaction(ctx, [record], options, links)));
        } catch (single) {
          try {
            Database.rethrowUnique(single, UNIQUE_RULES);
          } catch (mapped) {
            if (mapped instanceof DomainError) {
              outcomes.push({ line: record.line, error: mapped });
              continue;
            }
          }
          throw single;
        }
      }
      return outcomes;
    }
  }

  private async inTransaction(ctx: TenantContext, batch: Prepared[], options: ImportOptions, links: ManagerLinks | undefined): Promise<Outcome[]> {
    // A rolled-back transaction's users and held records are forgotten: its records are applied again.
    const scratch: LinksScratch = { imported: new Map(), held: [] };
    let outcomes: Outcome[];
    try {
      outcomes = await this.db.transaction(async (manager) => {
        const applied = await this.applyWithin(manager, ctx, batch, options.mode, links, scratch);
        if (options.dryRun) throw new DryRunRollback(applied);
        return applied;
      });
    } catch (error) {
      if (!(error instanceof DryRunRollback)) throw error;
      outcomes = error.outcomes;
    }
    if (links) {
      for (const [sourceId, id] of scratch.imported) links.imported.set(sourceId, id);
      if (options.dryRun) for (const outcome of outcomes) if ('status' in outcome && outcome.status === 'created') links.phantoms.add(outcome.id);
      links.held.push(...scratch.held);
    }
    return outcomes;
  }

  /**
   * The records held for a manager further on in the file, once the file is read: applied in
   * the file's order, again as long as some of them find their manager (a chain written from
   * its end); those whose manager never became a user here are error lines.
   */
  private async applyHeld(ctx: TenantContext, options: ImportOptions, links: ManagerLinks, emit: (outcomes: Outcome[]) => Promise<void>): Promise<void> {
    while (links.held.length) {
      const waiting = links.held.sort((a, b) => a.line - b.line);
      links.held = [];
      for (let start = 0; start < waiting.length; start += IMPORT_BATCH_SIZE) {
        await emit(await this.applyBatch(ctx, waiting.slice(start, start + IMPORT_BATCH_SIZE), options, links, true));
      }
      if (links.held.length === waiting.length) {
        const stuck = links.held;
        links.held = [];
        await emit(stuck.map((record) => ({ line: record.line, error: unknownManager() })));
      }
    }
  }

  /**
   * A plaintext `password` is hashed at the argon2id rate before the transaction, unless the
   * user it matches already has it (a re-run), so no hashing holds a transaction open.
   */
  private async settlePasswords(ctx: TenantContext, batch: Prepared[], mode: ImportMode): Promise<void> {
    const withPassword = batch.filter((record) => record.password !== undefined);
    if (!withPassword.length) return;
    const existing = mode === 'upsert' ? await this.existing(this.dataSource.manager, ctx.tenantId, withPassword) : [];
    for (const record of withPassword) {
      const match = this.match(record, existing, mode);
      if (match?.passwordHash && (await verifyPassword(match.passwordHash, record.password!).catch(() => false))) {
        record.passwordHash = match.passwordHash;
        continue;
      }
      try {
        record.passwordHash = await this.users.checkedHash(ctx.tenantId, record.password!);
      } catch (error) {
        if (!(error instanceof DomainError)) throw error;
        record.passwordHash = undefined;
        record.password = undefined;
        record.refused = error;
      }
    }
  }

  /**
   * With credentialsFrom: each record with an `id` takes the password hash and the confirmed
   * second factor of that user of the source tenant, read before the transaction. The hash is
   * then what a `passwordHash` of the record would be (its digest kept, so a re-run does not
   * undo an upgrade at login or a password changed since); an id that is no user of the
   * source tenant is an error line.
   */
  private async settleCredentials(sourceTenantId: string, batch: Prepared[]): Promise<void> {
    const ids = [...new Set(batch.map((record) => record.sourceId).filter((id): id is string => id !== undefined))];
    if (!ids.length) return;
    const found = await this.repository.sourceCredentials(sourceTenantId, ids);
    for (const record of batch) {
      if (record.sourceId === undefined || record.refused) continue;
      const source = found.get(record.sourceId);
      if (!source) {
        record.refused = DomainError.validation([{ field: 'id', message: 'is not a user of the tenant credentialsFrom names' }]);
        continue;
      }
      if (source.passwordHash !== null) {
        record.passwordHash = source.passwordHash;
        record.givenHash = source.passwordHash;
        record.hashDigest = undefined;
      }
      if (source.secondFactor) {
        record.secondFactor = source.secondFactor;
        // A migrated account is never weaker than it was: its second factor stays asked for.
        record.input.tfa = true;
      }
    }
  }

  /**
   * With credentialsFrom, a managerId may be the id of a user of the source tenant (as the
   * export writes it): the manager written is then that user's counterpart here, the user its
   * record became in this import (known as batches apply, see applyWithin), else the user of
   * this tenant its record would match: by its externalId when it has one, else by its email.
   * A managerId that is no user of the source tenant is taken as ever, as a user of this one;
   * an id of any third tenant is then unknown, as an id of no user at all.
   */
  private async settleManagers(tenantId: string, batch: Prepared[], links: ManagerLinks): Promise<void> {
    const asked = new Set<string>();
    for (const record of batch) {
      const managerId = record.input.enterprise?.managerId;
      if (record.refused || typeof managerId !== 'string') continue;
      const id = canonicalId(managerId);
      if (links.imported.has(id)) record.sourceManager = id;
      else asked.add(id);
    }
    if (!asked.size) return;
    const keys = await this.repository.sourceUserKeys(links.sourceTenantId, [...asked]);
    if (!keys.size) return;
    const externalIds = [...new Set([...keys.values()].map((key) => key.externalId).filter((value): value is string => value !== null))];
    const emails = [...new Set([...keys.values()].filter((key) => key.externalId === null).map((key) => key.email))];
    const found = await this.repository.findByUniqueKeys(tenantId, { emails, externalIds, usernames: [] }, this.dataSource.manager);
    const byExternalId = new Map<string, string>();
    const byEmail = new Map<string, string>();
    for (const user of found) {
      if (user.externalId !== null) byExternalId.set(user.externalId, user.id);
      byEmail.set(user.email, user.id);
    }
    for (const record of batch) {
      const managerId = record.input.enterprise?.managerId;
      if (record.refused || typeof managerId !== 'string') continue;
      const key = keys.get(canonicalId(managerId));
      if (!key) continue;
      record.sourceManager = canonicalId(managerId);
      const counterpart = key.externalId !== null ? byExternalId.get(key.externalId) : byEmail.get(key.email);
      if (counterpart !== undefined) record.managerCounterpart = counterpart;
    }
  }

  /**
   * The users a batch's records may meet: by externalId, email or username. The externalIds
   * are looked up first; an email or username already held by a user found that way is not
   * looked up again, so a re-run of a file with externalIds reads each user once.
   */
  private async existing(manager: EntityManager, tenantId: string, batch: Prepared[]): Promise<User[]> {
    const none: string[] = [];
    const externalIds = [...new Set(batch.map((r) => r.input.externalId).filter((v): v is string => typeof v === 'string'))];
    const found = externalIds.length ? await this.repository.findByUniqueKeys(tenantId, { emails: none, externalIds, usernames: none }, manager) : [];
    const heldEmails = new Set<string>();
    const heldUsernames = new Set<string>();
    for (const user of found) {
      heldEmails.add(user.email);
      if (user.username !== null) heldUsernames.add(user.username);
    }
    const emails = [...new Set(batch.map((r) => r.email))].filter((email) => !heldEmails.has(email));
    const usernames = [...new Set(batch.map((r) => r.input.username?.toLowerCase()).filter((v): v is string => typeof v === 'string'))].filter((name) => !heldUsernames.has(name));
    if (!emails.length && !usernames.length) return found;
    const more = await this.repository.findByUniqueKeys(tenantId, { emails, externalIds: none, usernames }, manager);
    const ids = new Set(found.map((user) => user.id));
    return [...found, ...more.filter((user) => !ids.has(user.id))];
  }

  /** upsert: the user with the record's externalId when it has one, else with its email. */
  private match(record: Prepared, users: readonly User[], mode: ImportMode): User | undefined {
    if (mode === 'create') return undefined;
    const externalId = record.input.externalId;
    if (typeof externalId === 'string') return users.find((u) => u.externalId === externalId);
    return users.find((u) => u.email === record.email);
  }

  private async applyWithin(
    manager: EntityManager,
    ctx: TenantContext,
    batch: Prepared[],
    mode: ImportMode,
    links: ManagerLinks | undefined,
    scratch: LinksScratch,
  ): Promise<Outcome[]> {
    if (batch.some((r) => r.input.admin === false || r.input.active === false)) await lockTenantAdmins(manager, ctx.tenantId);
    const found = await this.existing(manager, ctx.tenantId, batch);
    // The records are compared with the kinds of child rows they name (a re-run's are mostly
    // unchanged); the users a record changes are read whole before the change, so the guards,
    // the write and the events see all of them.
    const kinds = childRowKindsOf(batch);
    const whole = kinds.length === CHILD_ROW_KINDS.length;
    const compared = whole ? await this.users.withRelations(manager, ctx.tenantId, found) : await this.repository.withSomeChildRows(ctx.tenantId, found, kinds, manager);
    const loaded = new Map(compared.map((u) => [u.user.id, u]));
    const partial = new Set(whole ? [] : found.map((user) => user.id));
    /** Unique values → the user holding them now, as this batch changes them. */
    const holders: Holders = { email: new Map(), externalId: new Map(), username: new Map() };
    for (const user of found) this.claim(holders, user);
    const outcomes: Outcome[] = [];
    // New users are written together, a statement per table, when the batch ends (or before a
    // later record of the batch changes one of them, or names one as its manager).
    const pending: { user: User; input: UserInputDto; groups: Group[] | undefined; line: number }[] = [];
    const pendingIds = new Set<string>();
    /** Second factors copied (credentialsFrom), written once every user of the batch exists. */
    const secondFactors: { userId: string; secondFactor: SourceSecondFactor }[] = [];
    const flush = async (): Promise<void> => {
      await this.users.insertManyWithin(manager, ctx, pending);
      for (const created of pending) outcomes.push({ line: created.line, status: 'created', id: created.user.id });
      pending.length = 0;
      pendingIds.clear();
    };
    /** A source user's record applied here: its reports further on link to this user. */
    const applied = (record: Prepared, id: string): void => {
      if (record.sourceId !== undefined) scratch.imported.set(record.sourceId, id);
    };
    for (const record of batch) {
      if (record.refused) {
        outcomes.push({ line: record.line, error: record.refused });
        continue;
      }
      // holders tracks the batch's users by their unique values as they change: the same
      // match as `match` over `loaded`, without a scan of the batch per record.
      const matchedId = mode === 'create' ? undefined : typeof record.input.externalId === 'string' ? holders.externalId.get(record.input.externalId) : holders.email.get(record.email);
      const current = matchedId === undefined ? null : loaded.get(matchedId)!;
      const selfId = current?.user.id ?? null;
      const taken = this.takenBy(record, holders, selfId);
      if (taken) {
        outcomes.push({ line: record.line, error: taken });
        continue;
      }
      // A manager named by its id in the source tenant: its counterpart here, or the record
      // waits for the manager's own record, further on in the file.
      let managerInDryRun = false;
      if (record.sourceManager !== undefined) {
        const managerId = scratch.imported.get(record.sourceManager) ?? links?.imported.get(record.sourceManager) ?? record.managerCounterpart;
        if (managerId === undefined) {
          scratch.held.push(record);
          continue;
        }
        if (links?.phantoms.has(managerId)) {
          // A dry run's earlier batch made the manager and rolled back: checked, not written.
          managerInDryRun = true;
          record.input.enterprise = { ...record.input.enterprise, managerId: undefined };
        } else {
          if (pendingIds.has(managerId)) await flush();
          record.input.enterprise = { ...record.input.enterprise, managerId };
        }
      }
      try {
        if (!current) {
          const { input, groups } = record;
          const user = this.users.newUserRow(ctx, input, record.passwordHash ?? null, digestOf(record) ?? null);
          await this.users.checkNewUser(manager, ctx, user, input, groups);
          pending.push({ user, input, groups, line: record.line });
          pendingIds.add(user.id);
          applied(record, user.id);
          loaded.set(user.id, {
            user,
            groups: groups ?? [],
            ipWhitelist: input.ipWhitelist ?? [],
            clientTags: [...new Set(input.clientTags ?? [])],
            plans: [...new Map((input.plans ?? []).map((p) => [p.planId, p.validTo ?? null]))].map(([planId, validTo]) => ({ planId, name: '', validFrom: user.createdAt, validTo })),
            tfaEnrolled: record.secondFactor !== undefined,
          });
          if (record.secondFactor) secondFactors.push({ userId: user.id, secondFactor: record.secondFactor });
          this.claim(holders, user);
          continue;
        }
        if (pendingIds.has(current.user.id)) await flush();
        const input = withoutMaskedEchoes(record.input, current);
        // A hash this user was given by an import before is not set again: since then the
        // password may have been upgraded to argon2id at login, or changed.
        const differs = record.passwordHash !== undefined && record.passwordHash !== current.user.passwordHash;
        const again = differs && digestOf(record) !== undefined && digestOf(record) === current.user.importedHashDigest;
        const passwordHash = differs && !again ? record.passwordHash : undefined;
        // A second factor is copied onto a user without a confirmed one; one it has stays.
        const secondFactor = current.tfaEnrolled ? undefined : record.secondFactor;
        if (!secondFactor && !managerInDryRun && !this.changes(input, current, record.groups, passwordHash)) {
          outcomes.push({ line: record.line, status: 'unchanged', id: current.user.id });
          applied(record, current.user.id);
          continue;
        }
        if (partial.has(current.user.id)) {
          // The first change of the batch: every user still read in part is read whole, at once.
          const rest = found.filter((user) => partial.has(user.id));
          for (const read of await this.users.withRelations(manager, ctx.tenantId, rest)) loaded.set(read.user.id, read);
          partial.clear();
        }
        const before = { email: current.user.email, externalId: current.user.externalId, username: current.user.username };
        await this.users.updateWithin(manager, ctx, loaded.get(current.user.id)!, input, record.groups, passwordHash, passwordHash === undefined ? undefined : digestOf(record));
        this.release(holders, before, current.user.id);
        this.claim(holders, current.user);
        const [reloaded] = await this.users.withRelations(manager, ctx.tenantId, [current.user]);
        if (secondFactor) {
          secondFactors.push({ userId: current.user.id, secondFactor });
          reloaded!.tfaEnrolled = true;
        }
        loaded.set(current.user.id, reloaded!);
        outcomes.push({ line: record.line, status: 'updated', id: current.user.id });
        applied(record, current.user.id);
      } catch (error) {
        // The guards throw before writing; a database error rolls the batch back.
        if (error instanceof DomainError && !isWriteError(error)) outcomes.push({ line: record.line, error });
        else throw error;
      }
    }
    await flush();
    await this.repository.copySecondFactors(ctx.tenantId, secondFactors, manager);
    return outcomes;
  }

  /** A unique value of the record held by another user (or claimed by an earlier record). */
  private takenBy(record: Prepared, holders: Holders, selfId: string | null): DomainError | null {
    const taken = (field: keyof Holders, value: string): boolean => {
      const holder = holders[field].get(value);
      return holder !== undefined && holder !== selfId;
    };
    const field = taken('email', record.email)
      ? 'email_taken'
      : typeof record.input.externalId === 'string' && taken('externalId', record.input.externalId)
        ? 'external_id_taken'
        : typeof record.input.username === 'string' && taken('username', record.input.username.toLowerCase())
          ? 'username_taken'
          : null;
    if (field === null) return null;
    const rule = UNIQUE_RULES.find((r) => r.code === field)!;
    return new DomainError(rule.code, rule.detail);
  }

  private claim(holders: Holders, user: User): void {
    holders.email.set(user.email, user.id);
    if (user.externalId !== null) holders.externalId.set(user.externalId, user.id);
    if (user.username !== null) holders.username.set(user.username, user.id);
  }

  private release(holders: Holders, values: { email: string; externalId: string | null; username: string | null }, id: string): void {
    for (const field of ['email', 'externalId', 'username'] as const) {
      const value = values[field];
      if (value !== null && holders[field].get(value) === id) holders[field].delete(value);
    }
  }

  /** Whether applying the record would change the user at all (else it is "unchanged"). */
  private changes(input: UserInputDto, current: UserWithRelations, groups: Group[] | undefined, passwordHash: string | undefined): boolean {
    if (passwordHash !== undefined) return true;
    const { user } = current;
    const scalar = this.users.scalarChanges(input) as Record<string, unknown>;
    for (const [field, value] of Object.entries(scalar)) {
      if ((user as unknown as Record<string, unknown>)[field] !== value) return true;
    }
    if (groups !== undefined && !sameSet(groups.map((g) => g.id), current.groups.map((g) => g.id))) return true;
    if (input.ipWhitelist !== undefined && !sameList(input.ipWhitelist, current.ipWhitelist)) return true;
    if (input.clientTags !== undefined && !sameList([...new Set(input.clientTags)], current.clientTags)) return true;
    if (input.plans !== undefined) {
      const wanted = new Map(input.plans.map((p) => [p.planId, p.validTo ?? null]));
      const held = new Map(current.plans.map((p) => [p.planId, p.validTo]));
      if (wanted.size !== held.size || [...wanted].some(([id, validTo]) => !held.has(id) || held.get(id) !== validTo)) return true;
    }
    return false;
  }
}

/** The kinds of child rows a batch's records name, which is all their comparison needs. */
function childRowKindsOf(batch: readonly Prepared[]): ChildRowKind[] {
  const kinds = new Set<ChildRowKind>();
  for (const { input, groups, secondFactor } of batch) {
    if (groups !== undefined) kinds.add('group');
    if (input.ipWhitelist !== undefined) kinds.add('ip');
    if (input.clientTags !== undefined) kinds.add('tag');
    if (input.plans !== undefined) kinds.add('plan');
    if (secondFactor !== undefined) kinds.add('tfa');
  }
  return CHILD_ROW_KINDS.filter((kind) => kinds.has(kind));
}

/**
 * SHA-256 of the hash a record sent, worked out when a write or a comparison needs it: a
 * re-run whose users already hold the hash never needs it.
 */
function digestOf(record: Prepared): string | undefined {
  if (record.givenHash === undefined) return undefined;
  return (record.hashDigest ??= createHash('sha256').update(record.givenHash).digest('hex'));
}

/** Uniqueness met in the database itself: the batch must roll back (its writes may be half done). */
function isWriteError(error: DomainError): boolean {
  return UNIQUE_RULES.some((rule) => rule.code === error.code);
}
