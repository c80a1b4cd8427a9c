import { Module } from '@nestjs/common';
import { OwnTenantController, TenantsController } from './tenants.controller.js';
import { TenantsService } from './tenants.service.js';

@Module({ controllers: [TenantsController, OwnTenantController], providers: [TenantsService], exports: [TenantsService] })
export class TenantsModule {}
