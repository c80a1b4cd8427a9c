import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { RequirePermission } from '../auth/access.decorators.js';
import { TenantCtx, type TenantContext } from '../auth/request-context.js';
import { AuditQueryDto, AuditPage, toAuditEventResponse } from './dto/audit.dto.js';
import { AuditService } from './audit.service.js';

@ApiTags('audit')
@Controller('api/v2/audit-events')
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  @Get()
  @ApiOperation({ summary: 'List audit events', description: 'Oldest first. Poll with the last `nextCursor` to receive only newer events.' })
  @RequirePermission('audit:read')
  @ApiOkResponse({ type: AuditPage })
  async list(@TenantCtx() ctx: TenantContext, @Query() query: AuditQueryDto): Promise<AuditPage> {
    const { events, nextCursor, hasMore } = await this.audit.list(ctx.tenantId, {
      limit: query.limit ?? 20,
      after: query.after,
      newestFirst: query.sort === '-at',
      ...query.filter,
    });
    return { data: events.map(toAuditEventResponse), meta: { nextCursor, hasMore } };
  }
}
