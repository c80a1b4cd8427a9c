import { Module } from '@nestjs/common';
import { MailModule } from '../mail/mail.module.js';
import { TenantsModule } from '../tenants/tenants.module.js';
import { UsersModule } from '../users/users.module.js';
import { MeController } from './me.controller.js';
import { MeService } from './me.service.js';
import { PasswordResetController } from './password-reset.controller.js';
import { PasswordResetRepository } from './password-reset.repository.js';
import { PasswordResetService } from './password-reset.service.js';
import { TfaService } from './tfa.service.js';

/** The caller's own account: `/me`, its password, its sessions, its second factor, and password reset by mail. */
@Module({
  imports: [TenantsModule, UsersModule, MailModule],
  controllers: [MeController, PasswordResetController],
  providers: [MeService, PasswordResetRepository, PasswordResetService, TfaService],
})
export class AccountModule {}
