import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { Authenticated } from './access.decorators.js';
import { PERMISSIONS, type Permission } from './permissions.js';

class PermissionCatalogue {
  @ApiProperty({ type: [String], enum: PERMISSIONS, enumName: 'Permission', example: [...PERMISSIONS] })
  data!: Permission[];
}

/**
 * The permission catalogue, for clients that build group editors. It holds no tenant data,
 * so any authenticated principal of a tenant may read it (the operator names a tenant with
 * X-Tenant-Id, as on every tenant-scoped route).
 */
@ApiTags('permissions')
@Controller('api/v2/permissions')
export class PermissionsController {
  @Get()
  @ApiOperation({ summary: 'List the permission catalogue' })
  @Authenticated()
  @ApiOkResponse({
    type: PermissionCatalogue,
    description: 'Every permission a group may hold, in catalogue order. The whole catalogue in one page: no meta, no pagination.',
  })
  list(): PermissionCatalogue {
    return { data: [...PERMISSIONS] };
  }
}
