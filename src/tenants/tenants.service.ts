import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AuditService } from '../audit/audit.service.js';
import type { RequestContext } from '../auth/request-context.js';
import { pageById } from '../common/pagination.js';
import { DomainError } from '../common/errors.js';
import { isUuid, newId } from '../common/ids.js';
import { Database, type UniqueRule } from '../database/database.service.js';
import { readEntities } from '../database/fast-query.js';
import type { CreateTenantDto, TenantSettingsDto, UpdateTenantDto } from './dto/tenant.dto.js';
import { DEFAULT_TENANT_SETTINGS, Tenant } from './tenant.entity.js';

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
    private readonly dataSource: DataSource,
    private readonly db: Database,
    private readonly audit: AuditService,
  ) {}

  /** A tenant by id or by slug, whichever the reference is. */
  /** A tenant by id or slug; read on every login and every operator request, so without the query builder. */
  async findByRef(ref: string): Promise<Tenant | null> {
    const [tenant] = await readEntities(this.dataSource.manager, Tenant, isUuid(ref) ? 'e.id = ?' : 'e.slug = ?', [ref.toLowerCase()]);
    return tenant ?? null;
  }

  /** The tenant's lockout policy (sessions/lockout.service.ts). */
  lockoutPolicy(id: string): Promise<Pick<Tenant, 'id' | 'lockoutThreshold' | 'lockoutMinutes'>> {
    return this.dataSource.getRepository(Tenant).findOneOrFail({ where: { id }, select: { id: true, lockoutThreshold: true, lockoutMinutes: true } });
  }

  async get(id: string): Promise<Tenant> {
    const tenant = isUuid(id) ? await this.dataSource.getRepository(Tenant).findOneBy({ id }) : null;
    if (!tenant) throw DomainError.notFound('Tenant');
    return tenant;
  }

  async list(limit: number, after?: string): Promise<{ tenants: Tenant[]; nextCursor: string | null }> {
    const { rows, nextCursor } = await pageById(this.dataSource.getRepository(Tenant).createQueryBuilder('t'), limit, after);
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
        await manager.insert(Tenant, tenant);
        await this.audit.recordFor(manager, context, 'tenant.created', { type: 'tenant', id: tenant.id }, tenant.id);
      });
    } catch (error) {
      Database.rethrowUnique(error, UNIQUE_RULES);
    }
    return tenant;
  }

  /** Slug and active belong to the operator; a tenant's admin may change name and settings. */
  async update(context: RequestContext, id: string, input: UpdateTenantDto): Promise<Tenant> {
    if (context.principal.kind !== 'operator' && (input.slug !== undefined || input.active !== undefined)) {
      throw new DomainError('forbidden', 'Only the operator may change slug or active');
    }
    try {
      return await this.db.transaction(async (manager) => {
        const tenant = await manager.findOneBy(Tenant, { id });
        if (!tenant) throw DomainError.notFound('Tenant');
        if (input.slug !== undefined) tenant.slug = input.slug;
        if (input.name !== undefined) tenant.name = input.name;
        if (input.active !== undefined) tenant.active = input.active;
        applySettings(tenant, input.settings);
        tenant.updatedAt = new Date();
        await manager.save(Tenant, tenant);
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
      const result = await manager.delete(Tenant, { id });
      if (!result.affected) throw DomainError.notFound('Tenant');
      await this.audit.recordFor(manager, context, 'tenant.deleted', { type: 'tenant', id }, null);
    });
  }
}
