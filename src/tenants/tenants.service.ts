import { Injectable } from '@nestjs/common';
import { AuditService } from '../audit/audit.service.js';
import type { RequestContext } from '../auth/request-context.js';
import { DomainError } from '../common/errors.js';
import { newId } from '../common/ids.js';
import { Database, type UniqueRule } from '../database/database.service.js';
import type { CreateTenantDto, TenantSettingsDto, UpdateTenantDto } from './dto/tenant.dto.js';
import { DEFAULT_TENANT_SETTINGS, Tenant } from './tenant.entity.js';
import { TenantsRepository } from './tenants.repository.js';

const UNIQUE_RULES: UniqueRule[] = [
  { index: 'uq_tenants_slug', column: 'slug', code: 'slug_taken', detail: 'A tenant with this slug already exists' },
];

function applySettings(tenant: Tenant, settings: TenantSettingsDto | undefined): void {
  if (!settings) return;
  for (const key of Object.keys(DEFAULT_TENANT_SETTINGS) as (keyof typeof DEFAULT_TENANT_SETTINGS)[]) {
    const value = settings[key];
    if (value !== undefined) (tenant as unknown as Record<string, number | null>)[key] = value;
  }
  if (tenant.refreshTokenTtlSeconds < tenant.accessTokenTtlSeconds) {
    throw DomainError.validation([
      { field: 'settings.refreshTokenTtlSeconds', message: 'must not be shorter than accessTokenTtlSeconds' },
    ]);
  }
}

@Injectable()
export class TenantsService {
  constructor(
    private readonly repository: TenantsRepository,
    private readonly db: Database,
    private readonly audit: AuditService,
  ) {}

  /** A tenant by id or by slug, whichever the reference is. */
  findByRef(ref: string): Promise<Tenant | null> {
    return this.repository.byRef(ref);
  }

  /** The tenant's lockout policy (sessions/lockout.service.ts). */
  lockoutPolicy(id: string): Promise<Pick<Tenant, 'id' | 'lockoutThreshold' | 'lockoutMinutes'>> {
    return this.repository.lockoutPolicy(id);
  }

  /** The shortest password the tenant accepts (8 for a tenant that is gone: the check still applies). */
  async passwordMinLength(id: string): Promise<number> {
    return (await this.repository.passwordMinLength(id)) ?? DEFAULT_TENANT_SETTINGS.passwordMinLength;
  }

  async get(id: string): Promise<Tenant> {
    const tenant = await this.repository.find(id);
    if (!tenant) throw DomainError.notFound('Tenant');
    return tenant;
  }

  async list(limit: number, after?: string): Promise<{ tenants: Tenant[]; nextCursor: string | null }> {
    const { rows, nextCursor } = await this.repository.page(limit, after);
    return { tenants: rows, nextCursor };
  }

  async create(context: RequestContext, input: CreateTenantDto): Promise<Tenant> {
    const now = new Date();
    const tenant = Object.assign(new Tenant(), {
      id: newId(),
      slug: input.slug,
      name: input.name,
      active: input.active ?? true,
      ...DEFAULT_TENANT_SETTINGS,
      createdAt: now,
      updatedAt: now,
    });
    applySettings(tenant, input.settings);
    try {
      await this.db.transaction(async (manager) => {
        await this.repository.insert(tenant, manager);
        await this.audit.recordFor(manager, context, 'tenant.created', { type: 'tenant', id: tenant.id }, tenant.id);
      });
    } catch (error) {
      Database.rethrowUnique(error, UNIQUE_RULES);
    }
    return tenant;
  }

  /**
   * Slug and active belong to the operator; a tenant's admin may change name and settings. The
   * row is read locked (MySQL/MariaDB), so two changes of the settings run one after the other and
   * the second is checked against the first's result: a refresh TTL and an access TTL changed at
   * once cannot leave the refresh TTL shorter, as two unlocked reads of the old row would allow.
   */
  async update(context: RequestContext, id: string, input: UpdateTenantDto): Promise<Tenant> {
    if (context.principal.kind !== 'operator' && (input.slug !== undefined || input.active !== undefined)) {
      throw new DomainError('forbidden', 'Only the operator may change slug or active');
    }
    try {
      return await this.db.transaction(async (manager) => {
        const tenant = await this.repository.find(id, manager, 'pessimistic_write');
        if (!tenant) throw DomainError.notFound('Tenant');
        if (input.slug !== undefined) tenant.slug = input.slug;
        if (input.name !== undefined) tenant.name = input.name;
        if (input.active !== undefined) tenant.active = input.active;
        applySettings(tenant, input.settings);
        tenant.updatedAt = new Date();
        await this.repository.save(tenant, manager);
        await this.audit.recordFor(manager, context, 'tenant.updated', { type: 'tenant', id }, id);
        return tenant;
      });
    } catch (error) {
      Database.rethrowUnique(error, UNIQUE_RULES);
    }
  }

  /** Every tenant-scoped table cascades from tenants, so one delete erases all its data. */
  async remove(context: RequestContext, id: string): Promise<void> {
    await this.db.transaction(async (manager) => {
      if (!(await this.repository.remove(id, manager))) throw DomainError.notFound('Tenant');
      await this.audit.recordFor(manager, context, 'tenant.deleted', { type: 'tenant', id }, null);
    });
  }
}
