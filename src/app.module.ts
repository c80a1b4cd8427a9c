import { type DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { AccountModule } from './account/account.module.js';
import { AuditModule } from './audit/audit.module.js';
import { AuthModule } from './auth/auth.module.js';
import { GracefulShutdown } from './common/graceful-shutdown.js';
import { IdleCollector } from './common/idle-collector.js';
import { ProblemFilter } from './common/problem.filter.js';
import { AppConfig } from './config/app-config.js';
import { ConfigModule } from './config/config.module.js';
import { DatabaseModule } from './database/database.module.js';
import { GroupsModule } from './groups/groups.module.js';
import { HealthModule } from './health/health.module.js';
import { MetricsModule } from './metrics/metrics.module.js';
import { PlansModule } from './plans/plans.module.js';
import { ProblemsModule } from './problems/problems.module.js';
import { RedisModule } from './redis/redis.module.js';
import { ScimModule } from './scim/scim.module.js';
import { SessionsModule } from './sessions/sessions.module.js';
import { TenantsModule } from './tenants/tenants.module.js';
import { UsersModule } from './users/users.module.js';
import { WebhooksModule } from './webhooks/webhooks.module.js';

@Module({})
export class AppModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        DatabaseModule,
        RedisModule,
        AuditModule,
        AuthModule,
        TenantsModule,
        SessionsModule,
        AccountModule,
        UsersModule,
        GroupsModule,
        PlansModule,
        ScimModule,
        WebhooksModule,
        HealthModule,
        ProblemsModule,
        MetricsModule,
      ],
      providers: [{ provide: APP_FILTER, useClass: ProblemFilter }, GracefulShutdown, IdleCollector],
    };
  }
}
