import { Global, Module } from '@nestjs/common';
import { SharedRedis } from './shared-redis.js';

/** The instance's Redis connection, when REDIS_URL is set. */
@Global()
@Module({ providers: [SharedRedis], exports: [SharedRedis] })
export class RedisModule {}
