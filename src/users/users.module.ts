import { Module } from '@nestjs/common';
import { MailModule } from '../mail/mail.module.js';
import { TenantsModule } from '../tenants/tenants.module.js';
import { UsersExportService } from './import/users-export.service.js';
import { UsersImportService } from './import/users-import.service.js';
import { UsersTransferController } from './import/users-transfer.controller.js';
import { LoginFactsRepository } from './login-facts.repository.js';
import { UsersController } from './users.controller.js';
import { UsersRepository } from './users.repository.js';
import { UsersService } from './users.service.js';

@Module({
  imports: [MailModule, TenantsModule],
  controllers: [UsersTransferController, UsersController],
  providers: [UsersService, UsersRepository, LoginFactsRepository, UsersImportService, UsersExportService],
  exports: [UsersService, UsersRepository, LoginFactsRepository],
})
export class UsersModule {}
