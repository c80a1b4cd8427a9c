import { ConfigError, DEFAULT_RETRY_SCHEDULE, loadConfig } from '../config/app-config.js';

describe('webhook settings', () => {
  it('retries for about a day by default, and as WEBHOOK_RETRY_SCHEDULE says otherwise', () => {
    const total = DEFAULT_RETRY_SCHEDULE.reduce((sum, seconds) => sum + seconds, 0);
    expect(total).toBeGreaterThan(20 * 3600);
    expect(total).toBeLessThan(28 * 3600);
    expect(loadConfig({}).webhooks).toEqual({ allowedHosts: [], retrySchedule: DEFAULT_RETRY_SCHEDULE, dispatch: true, retentionDays: 30 });
    expect(loadConfig({ WEBHOOK_RETRY_SCHEDULE: '0.5, 1,2' }).webhooks.retrySchedule).toEqual([0.5, 1, 2]);
    for (const bad of ['-1', 'a,b', '1,,2', '700000']) {
      expect(() => loadConfig({ WEBHOOK_RETRY_SCHEDULE: bad })).toThrow(ConfigError);
    }
  });

  it('reads WEBHOOK_ALLOWED_HOSTS as host or host:port entries, and WEBHOOK_DISPATCH', () => {
    expect(loadConfig({ WEBHOOK_ALLOWED_HOSTS: '127.0.0.1, Receiver.Internal:8443,[::1]' }).webhooks.allowedHosts).toEqual(['127.0.0.1', 'receiver.internal:8443', '[::1]']);
    expect(() => loadConfig({ WEBHOOK_ALLOWED_HOSTS: 'http://x' })).toThrow('WEBHOOK_ALLOWED_HOSTS');
    expect(loadConfig({ WEBHOOK_DISPATCH: 'false' }).webhooks.dispatch).toBe(false);
    expect(() => loadConfig({ WEBHOOK_DISPATCH: 'maybe' })).toThrow('WEBHOOK_DISPATCH');
  });

  it('keeps finished deliveries for WEBHOOK_DELIVERY_RETENTION_DAYS (30 by default, 0 for ever)', () => {
    expect(loadConfig({ WEBHOOK_DELIVERY_RETENTION_DAYS: '7' }).webhooks.retentionDays).toBe(7);
    expect(loadConfig({ WEBHOOK_DELIVERY_RETENTION_DAYS: '0' }).webhooks.retentionDays).toBe(0);
    for (const bad of ['-1', '1.5', 'week', '4000']) {
      expect(() => loadConfig({ WEBHOOK_DELIVERY_RETENTION_DAYS: bad })).toThrow('WEBHOOK_DELIVERY_RETENTION_DAYS');
    }
  });
});
