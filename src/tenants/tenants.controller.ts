import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiProperty, ApiTags } from '@nestjs/swagger';
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
  @OperatorOnly()
  @ApiCreatedResponse({ type: TenantResponse })
  async create(@Ctx() ctx: RequestContext, @Body() body: CreateTenantDto): Promise<TenantResponse> {
    return toTenantResponse(await this.tenants.create(ctx, body));
  }

  @Get()
  @OperatorOnly()
  @ApiOkResponse({ type: TenantPage })
  async list(@Query() query: KeysetQuery): Promise<TenantPage> {
    const limit = query.limit ?? 20;
    const { tenants, nextCursor } = await this.tenants.list(limit, query.after);
    return { data: tenants.map(toTenantResponse), meta: { limit, nextCursor } };
  }

  @Get(':id')
  @OperatorOnly()
  @ApiOkResponse({ type: TenantResponse })
  async get(@Param('id') id: string): Promise<TenantResponse> {
    return toTenantResponse(await this.tenants.get(id));
  }

  @Patch(':id')
  @OperatorOnly()
  @ApiOkResponse({ type: TenantResponse })
  async update(@Ctx() ctx: RequestContext, @Param('id') id: string, @Body() body: UpdateTenantDto): Promise<TenantResponse> {
    const tenant = await this.tenants.get(id);
    return toTenantResponse(await this.tenants.update(ctx, tenant.id, body));
  }

  @Delete(':id')
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
  @RequirePermission('tenant:read')
  @ApiOkResponse({ type: TenantResponse })
  async get(@TenantCtx() ctx: TenantContext): Promise<TenantResponse> {
    return toTenantResponse(await this.tenants.get(ctx.tenantId));
  }

  @Patch()
  @RequirePermission('tenant:write')
  @ApiOkResponse({ type: TenantResponse })
  async update(@TenantCtx() ctx: TenantContext, @Body() body: UpdateTenantDto): Promise<TenantResponse> {
    return toTenantResponse(await this.tenants.update(ctx, ctx.tenantId, body));
  }
}
