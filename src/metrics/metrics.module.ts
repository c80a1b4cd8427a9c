import { Global, Module } from '@nestjs/common';
import { Metrics } from './metrics.service.js';

/** Prometheus metrics on their own port (METRICS_PORT). */
@Global()
@Module({ providers: [Metrics], exports: [Metrics] })
export class MetricsModule {}
