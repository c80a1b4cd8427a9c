import { type BeforeApplicationShutdown, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config.js';
import { WebhookDelivery } from './webhook.entities.js';
import { loggableError } from '../common/problem.filter.js';

/** How often the deliveries log is pruned, and how soon after start. */
const PRUNE_EVERY_MS = 3600_000;
const FIRST_PRUNE_MS = 60_000;
/** Rows deleted per statement: short statements, so that the API's writes are never held up long. */
const PRUNE_BATCH = 1_000;
const PRUNE_PAUSE_MS = 50;

/**
 * Deletes finished deliveries (delivered, or failed for good) older than
 * WEBHOOK_DELIVERY_RETENTION_DAYS, so the deliveries log does not grow for ever: a busy tenant
 * writes one row per event and endpoint. Pending deliveries are never touched. Runs on the
 * instances that dispatch; several doing it at once delete the same rows harmlessly.
 */
@Injectable()
export class WebhookRetention implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(WebhookRetention.name);
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<number> | null = null;
  private stopping = false;

  constructor(
    private readonly dataSource: DataSource,
    private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.webhooks.dispatch || this.config.webhooks.retentionDays === 0) return;
    this.schedule(FIRST_PRUNE_MS);
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running?.catch(() => 0);
  }

  /** Deletes the finished deliveries older than the retention; how many. */
  async prune(now = new Date()): Promise<number> {
    const days = this.config.webhooks.retentionDays;
    if (days === 0) return 0;
    const cutoff = new Date(now.getTime() - days * 86_400_000);
    let deleted = 0;
    for (;;) {
      // A finished delivery keeps the due time of its last attempt: the due index finds the old
      // ones, and updated_at (its last change: an attempt, or a redelivery asked for) decides.
      const rows = await this.dataSource
        .getRepository(WebhookDelivery)
        .createQueryBuilder('d')
        .select('d.id', 'id')
        .where('d.status IN (:...finished)', { finished: ['delivered', 'failed'] })
        .andWhere('d.next_attempt_at < :cutoff', { cutoff })
        .andWhere('d.updated_at < :cutoff', { cutoff })
        .limit(PRUNE_BATCH)
        .getRawMany<{ id: string }>();
      if (rows.length === 0) break;
      const result = await this.dataSource
        .createQueryBuilder()
        .delete()
        .from(WebhookDelivery)
        .where('id IN (:...ids)', { ids: rows.map((row) => row.id) })
        .andWhere('status IN (:...finished)', { finished: ['delivered', 'failed'] })
        .execute();
      deleted += result.affected ?? 0;
      if (rows.length < PRUNE_BATCH || this.stopping) break;
      await new Promise((resolve) => setTimeout(resolve, PRUNE_PAUSE_MS));
    }
    return deleted;
  }

  private schedule(ms: number): void {
    this.timer = setTimeout(() => {
      this.running = this.prune()
        .then((deleted) => {
          if (deleted > 0) this.logger.log(`Pruned ${deleted} webhook deliveries older than ${this.config.webhooks.retentionDays} days`);
          return deleted;
        })
        .catch((error: Error) => {
          this.logger.warn(`Pruning webhook deliveries failed: ${loggableError(error).message}`);
          return 0;
        })
        .finally(() => {
          this.running = null;
          if (!this.stopping) this.schedule(PRUNE_EVERY_MS);
        });
    }, ms);
    this.timer.unref();
  }
}
