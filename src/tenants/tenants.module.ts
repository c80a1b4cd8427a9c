import { Module } from '@nestjs/common';
import { OwnTenantController, TenantsController } from './tenants.controller.js';
import { TenantsRepository } from './tenants.repository.js';
import { TenantsService } from './tenants.service.js';

@Module({ controllers: [TenantsController, OwnTenantController], providers: [TenantsService, TenantsRepository], exports: [TenantsService] })
export class TenantsModule {}
