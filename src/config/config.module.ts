import { type DynamicModule, Global, Module } from '@nestjs/common';
import { AppConfig } from './app-config.js';
import { EncryptionKey } from './encryption-key.service.js';

/** Makes the boot-validated AppConfig, and the key it names for secrets at rest, injectable everywhere. */
@Global()
@Module({})
export class ConfigModule {
  static forRoot(config: AppConfig): DynamicModule {
    return { module: ConfigModule, providers: [{ provide: AppConfig, useValue: config }, EncryptionKey], exports: [AppConfig, EncryptionKey] };
  }
}
