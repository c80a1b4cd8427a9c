import { Global, Module, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { ERROR_FORMAT } from '../common/error-format.js';
import { GroupsModule } from '../groups/groups.module.js';
import { UsersModule } from '../users/users.module.js';
import { ScimErrorFormat } from './scim-error.format.js';
import { ScimGroupsService } from './scim-groups.service.js';
import { ScimUsersService } from './scim-users.service.js';
import { ScimDiscoveryController, ScimGroupsController, ScimUsersController } from './scim.controllers.js';
import { SCIM_CONTENT_TYPE } from './scim.constants.js';

/** SCIM 2.0 for identity providers, on the users and groups of /api/v2. Global only for its error format. */
@Global()
@Module({
  imports: [UsersModule, GroupsModule],
  controllers: [ScimDiscoveryController, ScimUsersController, ScimGroupsController],
  providers: [ScimUsersService, ScimGroupsService, { provide: ERROR_FORMAT, useClass: ScimErrorFormat }],
  exports: [ERROR_FORMAT],
})
export class ScimModule implements OnModuleInit {
  constructor(private readonly http: HttpAdapterHost) {}

  /**
   * Fastify appends `; charset=utf-8` to every JSON type; SCIM answers say
   * `application/scim+json` alone, as RFC 7644 writes it, for clients that compare it whole.
   */
  onModuleInit(): void {
    const fastify = this.http.httpAdapter.getInstance<FastifyInstance>();
    fastify.addHook('onSend', (_request, reply, payload, done) => {
      if (String(reply.getHeader('content-type') ?? '').startsWith(`${SCIM_CONTENT_TYPE};`)) void reply.header('content-type', SCIM_CONTENT_TYPE);
      done(null, payload);
    });
  }
}
