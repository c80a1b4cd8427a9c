import { Module } from '@nestjs/common';
import { MailModule } from '../mail/mail.module.js';
import { UsersController } from './users.controller.js';
import { UsersService } from './users.service.js';

@Module({ imports: [MailModule], controllers: [UsersController], providers: [UsersService], exports: [UsersService] })
export class UsersModule {}
