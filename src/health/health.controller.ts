import { Controller, Get, HttpStatus, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { DataSource } from 'typeorm';
import { Public } from '../auth/access.decorators.js';
import { SharedRedis } from '../redis/shared-redis.js';
import { Readiness } from './readiness.js';

class HealthResponse {
  @ApiProperty({ enum: ['ok', 'error'] }) status!: 'ok' | 'error';
  @ApiProperty({ enum: ['up', 'down'] }) database!: 'up' | 'down';
}

class LivenessResponse {
  @ApiProperty({ enum: ['ok'] }) status!: 'ok';
}

class ReadinessResponse {
  @ApiProperty({
    enum: ['ok', 'degraded', 'error'],
    description: '`degraded`: ready, but Redis cannot be reached, so the per-IP limits are counted by this instance alone',
  })
  status!: 'ok' | 'degraded' | 'error';
  @ApiProperty({ enum: ['up', 'down'] }) database!: 'up' | 'down';
  @ApiPropertyOptional({ enum: ['up', 'down'], description: 'Present when REDIS_URL is set' }) redis?: 'up' | 'down';
  @ApiProperty({ description: 'True once the instance has been told to stop: it finishes what it is doing and takes nothing new' })
  shuttingDown!: boolean;
}

const PING_TIMEOUT_MS = 2000;

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    private readonly dataSource: DataSource,
    private readonly redis: SharedRedis,
    private readonly readiness: Readiness,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Check the service and its database' })
  @Public()
  @ApiOkResponse({ type: HealthResponse })
  @ApiServiceUnavailableResponse({ type: HealthResponse, description: 'The database is unreachable' })
  async check(@Res({ passthrough: true }) reply: FastifyReply): Promise<HealthResponse> {
    if (await this.databaseAnswers()) return { status: 'ok', database: 'up' };
    void reply.status(HttpStatus.SERVICE_UNAVAILABLE);
    return { status: 'error', database: 'down' };
  }

  /** Liveness: the process answers. Nothing it depends on is checked, so an outage never gets it restarted. */
  @Get('live')
  @ApiOperation({ summary: 'Liveness probe', description: 'Answers 200 whenever the process answers; checks nothing else.' })
  @Public()
  @ApiOkResponse({ type: LivenessResponse, description: 'The process answers requests' })
  live(): LivenessResponse {
    return { status: 'ok' };
  }

  /**
   * Readiness: whether a load balancer should send this instance traffic. 503 while the
   * database cannot be reached and from the moment a shutdown begins. Redis is reported but
   * does not make the instance unready: without it the limits are counted per instance, and
   * taking every instance out of rotation for a Redis outage would turn a weaker limit into
   * no service at all.
   */
  @Get('ready')
  @ApiOperation({
    summary: 'Readiness probe',
    description: '503 while the database cannot be reached and from the moment a shutdown begins; `degraded` (200) when Redis is configured but unreachable.',
  })
  @Public()
  @ApiOkResponse({ type: ReadinessResponse, description: 'Ready for traffic (`degraded` when Redis is configured but unreachable)' })
  @ApiServiceUnavailableResponse({ type: ReadinessResponse, description: 'Shutting down, or the database is unreachable' })
  async ready(@Res({ passthrough: true }) reply: FastifyReply): Promise<ReadinessResponse> {
    const [database, redis] = await Promise.all([this.databaseAnswers(), this.redis.configured ? this.redis.ping() : Promise.resolve(null)]);
    const shuttingDown = !this.readiness.accepting;
    const response: ReadinessResponse = {
      status: shuttingDown || !database ? 'error' : redis === false ? 'degraded' : 'ok',
      database: database ? 'up' : 'down',
      shuttingDown,
    };
    if (redis !== null) response.redis = redis ? 'up' : 'down';
    if (response.status === 'error') void reply.status(HttpStatus.SERVICE_UNAVAILABLE);
    return response;
  }

  private async databaseAnswers(): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), PING_TIMEOUT_MS);
    });
    try {
      const ping = this.dataSource.query('SELECT 1').then(
        () => true,
        () => false,
      );
      return await Promise.race([ping, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}
