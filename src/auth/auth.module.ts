import { Global, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { TenantsModule } from '../tenants/tenants.module.js';
import { AuthGuard } from './auth.guard.js';
import { OperatorKeyService } from './operator-key.service.js';
import { PermissionsController } from './permissions.controller.js';

@Global()
@Module({
  imports: [TenantsModule],
  controllers: [PermissionsController],
  providers: [OperatorKeyService, { provide: APP_GUARD, useClass: AuthGuard }],
  exports: [OperatorKeyService],
})
export class AuthModule {}
