import { Module } from '@nestjs/common';
import { MailModule } from '../mail/mail.module.js';
import { UsersController } from './users.controller.js';
import { UsersRepository } from './users.repository.js';
import { UsersService } from './users.service.js';

@Module({ imports: [MailModule], controllers: [UsersController], providers: [UsersService, UsersRepository], exports: [UsersService, UsersRepository] })
export class UsersModule {}
