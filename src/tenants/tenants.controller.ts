import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiConflictResponse, ApiCreatedResponse, ApiForbiddenResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { OperatorOnly, RequirePermission } from '../auth/access.decorators.js';
import { Ctx, type RequestContext, TenantCtx, type TenantContext } from '../auth/request-context.js';
import { KeysetQuery } from '../common/pagination.js';
import { CreateTenantDto, TenantResponse, toTenantResponse, UpdateTenantDto } from './dto/tenant.dto.js';
import { TenantsService } from './tenants.service.js';

class TenantPageMeta {
  @ApiProperty() limit!: number;
  @ApiProperty({ type: String, nullable: true }) nextCursor!: string | null;
}

class TenantPage {
  @ApiProperty({ type: [TenantResponse] }) data!: TenantResponse[];
  @ApiProperty({ type: TenantPageMeta }) meta!: TenantPageMeta;
}

@ApiTags('tenants')
@Controller('api/v2/tenants')
export class TenantsController {
  constructor(private readonly tenants: TenantsService) {}

  @Post()
  @ApiOperation({ summary: 'Create a tenant' })
  @OperatorOnly()
  @ApiCreatedResponse({ type: TenantResponse })
  @ApiConflictResponse({ description: '`slug_taken`: another tenant has this slug' })
  async create(@Ctx() ctx: RequestContext, @Body() body: CreateTenantDto): Promise<TenantResponse> {
    return toTenantResponse(await this.tenants.create(ctx, body));
  }

  @Get()
  @ApiOperation({ summary: 'List tenants' })
  @OperatorOnly()
  @ApiOkResponse({ type: TenantPage })
  async list(@Query() query: KeysetQuery): Promise<TenantPage> {
    const limit = query.limit ?? 20;
    const { tenants, nextCursor } = await this.tenants.list(limit, query.after);
    return { data: tenants.map(toTenantResponse), meta: { limit, nextCursor } };
  }

  @Get(':id')
  @ApiOperation({ summary: 'Get a tenant', description: 'By id or slug.' })
  @OperatorOnly()
  @ApiOkResponse({ type: TenantResponse })
  async get(@Param('id') id: string): Promise<TenantResponse> {
    return toTenantResponse(await this.tenants.get(id));
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Update a tenant', description: 'By id or slug.' })
  @OperatorOnly()
  @ApiOkResponse({ type: TenantResponse })
  @ApiConflictResponse({ description: '`slug_taken`: another tenant has this slug' })
  async update(@Ctx() ctx: RequestContext, @Param('id') id: string, @Body() body: UpdateTenantDto): Promise<TenantResponse> {
    const tenant = await this.tenants.get(id);
    return toTenantResponse(await this.tenants.update(ctx, tenant.id, body));
  }

  @Delete(':id')
  @ApiOperation({ summary: 'Delete a tenant', description: 'Deletes all its data.' })
  @OperatorOnly()
  @HttpCode(204)
  @ApiNoContentResponse()
  async remove(@Ctx() ctx: RequestContext, @Param('id') id: string): Promise<void> {
    const tenant = await this.tenants.get(id);
    await this.tenants.remove(ctx, tenant.id);
  }
}

/** The caller's own tenant. */
@ApiTags('tenants')
@Controller('api/v2/tenant')
export class OwnTenantController {
  constructor(private readonly tenants: TenantsService) {}

  @Get()
  @ApiOperation({ summary: 'Get my tenant' })
  @RequirePermission('tenant:read')
  @ApiOkResponse({ type: TenantResponse })
  async get(@TenantCtx() ctx: TenantContext): Promise<TenantResponse> {
    return toTenantResponse(await this.tenants.get(ctx.tenantId));
  }

  @Patch()
  @ApiOperation({ summary: 'Update my tenant', description: "Its name and settings; slug and active are the operator's." })
  @RequirePermission('tenant:write')
  @ApiOkResponse({ type: TenantResponse })
  @ApiConflictResponse({ description: '`slug_taken`: another tenant has this slug' })
  @ApiForbiddenResponse({ description: 'slug and active are for the operator to change' })
  async update(@TenantCtx() ctx: TenantContext, @Body() body: UpdateTenantDto): Promise<TenantResponse> {
    return toTenantResponse(await this.tenants.update(ctx, ctx.tenantId, body));
  }
}
