import { Module } from '@nestjs/common';
import { UsersModule } from '../users/users.module.js';
import { PlansController, UserPlansController } from './plans.controller.js';
import { PlansRepository } from './plans.repository.js';
import { PlansService } from './plans.service.js';

@Module({ imports: [UsersModule], controllers: [PlansController, UserPlansController], providers: [PlansService, PlansRepository], exports: [PlansService] })
export class PlansModule {}
