import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query, Res } from '@nestjs/common';
import { ApiConflictResponse, ApiCreatedResponse, ApiNoContentResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { RequirePermission } from '../auth/access.decorators.js';
import { TenantCtx, type TenantContext } from '../auth/request-context.js';
import { KeysetQuery } from '../common/pagination.js';
import { toUserResponse, UserResponse } from '../users/dto/user-response.dto.js';
import { AssignPlanDto, CreatePlanDto, PlanResponse, toPlanResponse, UpdatePlanDto } from './dto/plan.dto.js';
import { PlansService } from './plans.service.js';

class PlanPageMeta {
  @ApiProperty() limit!: number;
  @ApiProperty({ type: String, nullable: true, description: 'Send as `after` for the next page' }) nextCursor!: string | null;
}

class PlanPage {
  @ApiProperty({ type: [PlanResponse], description: 'Oldest first' }) data!: PlanResponse[];
  @ApiProperty({ type: PlanPageMeta }) meta!: PlanPageMeta;
}

@ApiTags('plans')
@Controller('api/v2/plans')
export class PlansController {
  constructor(private readonly plans: PlansService) {}

  @Get()
  @ApiOperation({ summary: 'List plans' })
  @RequirePermission('plans:read')
  @ApiOkResponse({ type: PlanPage })
  async list(@TenantCtx() ctx: TenantContext, @Query() query: KeysetQuery): Promise<PlanPage> {
    const limit = query.limit ?? 20;
    const { plans, nextCursor } = await this.plans.list(ctx, limit, query.after);
    return { data: plans.map(toPlanResponse), meta: { limit, nextCursor } };
  }

  @Post()
  @ApiOperation({ summary: 'Create a plan' })
  @RequirePermission('plans:write')
  @ApiCreatedResponse({ type: PlanResponse })
  @ApiConflictResponse({ description: '`name_taken`: another plan of the tenant has this name' })
  async create(@TenantCtx() ctx: TenantContext, @Body() body: CreatePlanDto): Promise<PlanResponse> {
    return toPlanResponse(await this.plans.create(ctx, body));
  }

  @Get(':id')
  @ApiOperation({ summary: 'Get a plan' })
  @RequirePermission('plans:read')
  @ApiOkResponse({ type: PlanResponse })
  async get(@TenantCtx() ctx: TenantContext, @Param('id') id: string): Promise<PlanResponse> {
    return toPlanResponse(await this.plans.get(ctx, id));
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Update a plan' })
  @RequirePermission('plans:write')
  @ApiOkResponse({ type: PlanResponse })
  @ApiConflictResponse({ description: '`name_taken`: another plan of the tenant has this name' })
  async update(@TenantCtx() ctx: TenantContext, @Param('id') id: string, @Body() body: UpdatePlanDto): Promise<PlanResponse> {
    return toPlanResponse(await this.plans.update(ctx, id, body));
  }

  @Delete(':id')
  @ApiOperation({ summary: 'Delete a plan' })
  @RequirePermission('plans:write')
  @HttpCode(204)
  @ApiNoContentResponse({ description: "Removes the plan's assignments" })
  async remove(@TenantCtx() ctx: TenantContext, @Param('id') id: string): Promise<void> {
    await this.plans.remove(ctx, id);
  }
}

/** A user's plan assignments, one at a time (PATCH /users/{id} with `plans` replaces the whole set). */
@ApiTags('users')
@Controller('api/v2/users/:id/plans')
export class UserPlansController {
  constructor(private readonly plans: PlansService) {}

  @Post()
  @ApiOperation({ summary: 'Assign a plan to a user' })
  @RequirePermission('plans:write')
  @HttpCode(200)
  @ApiOkResponse({
    type: UserResponse,
    description:
      'Adds the assignment (validFrom = now) or replaces the one of that plan (validFrom kept, validTo replaced). ' +
      'Answers the user with its new ETag.',
  })
  async assign(
    @TenantCtx() ctx: TenantContext,
    @Param('id') id: string,
    @Body() body: AssignPlanDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<UserResponse> {
    const user = await this.plans.assign(ctx, id, body);
    void reply.header('etag', `"${user.user.version}"`);
    return toUserResponse(user, ctx.principal);
  }

  @Delete(':planId')
  @ApiOperation({ summary: "End a user's plan assignment" })
  @RequirePermission('plans:write')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Ends the assignment' })
  @ApiNotFoundResponse({ description: 'The user has no assignment of this plan' })
  async unassign(@TenantCtx() ctx: TenantContext, @Param('id') id: string, @Param('planId') planId: string): Promise<void> {
    await this.plans.unassign(ctx, id, planId);
  }
}
