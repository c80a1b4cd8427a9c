import { Global, Module } from '@nestjs/common';
import { ERROR_FORMAT } from '../common/error-format.js';
import { GroupsModule } from '../groups/groups.module.js';
import { UsersModule } from '../users/users.module.js';
import { ScimErrorFormat } from './scim-error.format.js';
import { ScimGroupsService } from './scim-groups.service.js';
import { ScimUsersService } from './scim-users.service.js';
import { ScimDiscoveryController, ScimGroupsController, ScimUsersController } from './scim.controllers.js';

/** SCIM 2.0 for identity providers, on the users and groups of /api/v2. Global only for its error format. */
@Global()
@Module({
  imports: [UsersModule, GroupsModule],
  controllers: [ScimDiscoveryController, ScimUsersController, ScimGroupsController],
  providers: [ScimUsersService, ScimGroupsService, { provide: ERROR_FORMAT, useClass: ScimErrorFormat }],
  exports: [ERROR_FORMAT],
})
export class ScimModule {}
