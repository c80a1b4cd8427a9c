import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiConflictResponse, ApiCreatedResponse, ApiForbiddenResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { RequirePermission } from '../auth/access.decorators.js';
import { TenantCtx, type TenantContext } from '../auth/request-context.js';
import { KeysetQuery } from '../common/pagination.js';
import { CreateGroupDto, GroupResponse, toGroupResponse, UpdateGroupDto } from './dto/group.dto.js';
import { GroupsService } from './groups.service.js';

class GroupPageMeta {
  @ApiProperty() limit!: number;
  @ApiProperty({ type: String, nullable: true, description: 'Send as `after` for the next page' }) nextCursor!: string | null;
}

class GroupPage {
  @ApiProperty({ type: [GroupResponse], description: 'Oldest first' }) data!: GroupResponse[];
  @ApiProperty({ type: GroupPageMeta }) meta!: GroupPageMeta;
}

/** Only an admin or the operator may grant a permission it does not hold itself. */
const GRANTS = ApiForbiddenResponse({ description: 'The group would grant a permission the caller lacks (admins and the operator excepted)' });
const NAME_TAKEN = ApiConflictResponse({ description: '`name_taken`: another group of the tenant has this name' });

@ApiTags('groups')
@Controller('api/v2/groups')
export class GroupsController {
  constructor(private readonly groups: GroupsService) {}

  @Get()
  @ApiOperation({ summary: 'List groups' })
  @RequirePermission('groups:read')
  @ApiOkResponse({ type: GroupPage })
  async list(@TenantCtx() ctx: TenantContext, @Query() query: KeysetQuery): Promise<GroupPage> {
    const limit = query.limit ?? 20;
    const { groups, nextCursor } = await this.groups.list(ctx, limit, query.after);
    return { data: groups.map(toGroupResponse), meta: { limit, nextCursor } };
  }

  @Post()
  @ApiOperation({ summary: 'Create a group' })
  @RequirePermission('groups:write')
  @ApiCreatedResponse({ type: GroupResponse })
  @NAME_TAKEN
  @GRANTS
  async create(@TenantCtx() ctx: TenantContext, @Body() body: CreateGroupDto): Promise<GroupResponse> {
    return toGroupResponse(await this.groups.create(ctx, body));
  }

  @Get(':id')
  @ApiOperation({ summary: 'Get a group' })
  @RequirePermission('groups:read')
  @ApiOkResponse({ type: GroupResponse })
  async get(@TenantCtx() ctx: TenantContext, @Param('id') id: string): Promise<GroupResponse> {
    return toGroupResponse(await this.groups.get(ctx, id));
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Update a group' })
  @RequirePermission('groups:write')
  @ApiOkResponse({ type: GroupResponse })
  @NAME_TAKEN
  @GRANTS
  async update(@TenantCtx() ctx: TenantContext, @Param('id') id: string, @Body() body: UpdateGroupDto): Promise<GroupResponse> {
    return toGroupResponse(await this.groups.update(ctx, id, body));
  }

  @Delete(':id')
  @ApiOperation({ summary: 'Delete a group' })
  @RequirePermission('groups:write')
  @HttpCode(204)
  @ApiNoContentResponse({ description: "Removes the group's memberships: its members lose it and the permissions it gave" })
  async remove(@TenantCtx() ctx: TenantContext, @Param('id') id: string): Promise<void> {
    await this.groups.remove(ctx, id);
  }
}
