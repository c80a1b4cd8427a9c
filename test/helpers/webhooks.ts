import { encrypt } from '../../src/common/crypto.js';
import { newId } from '../../src/common/ids.js';
import { WebhookDelivery, WebhookEndpoint } from '../../src/webhooks/webhook.entities.js';
import { TEST_ENCRYPTION_KEY, type TestApp } from './app.js';

/**
 * An active endpoint at a loopback address that is not in WEBHOOK_ALLOWED_HOSTS: every attempt
 * to it is refused before connecting, so fixtures never send traffic anywhere.
 */
export async function insertWebhook(t: TestApp, tenantId: string, url = 'https://127.0.0.1:1/fixture'): Promise<string> {
  const id = newId();
  const now = new Date();
  await t.dataSource.getRepository(WebhookEndpoint).insert({
    id,
    tenantId,
    url,
    events: ['group.created'],
    active: true,
    description: null,
    secretEncrypted: encrypt(Buffer.from(TEST_ENCRYPTION_KEY, 'base64'), `whsec_${Buffer.alloc(32, 3).toString('base64')}`),
    failingSince: null,
    createdAt: now,
    updatedAt: now,
  });
  return id;
}

/** A delivery that has already failed, for the deliveries log and redelivery. */
export async function insertDelivery(t: TestApp, tenantId: string, endpointId: string): Promise<string> {
  const id = newId();
  const now = new Date();
  await t.dataSource.getRepository(WebhookDelivery).insert({
    id,
    tenantId,
    endpointId,
    eventId: newId(),
    eventType: 'group.created',
    orderingKey: id,
    payload: JSON.stringify({ type: 'group.created', timestamp: now.toISOString(), data: {} }),
    status: 'failed',
    attempts: 7,
    nextAttemptAt: now,
    leaseUntil: null,
    leaseOwner: null,
    lastAttemptAt: now,
    lastStatusCode: 500,
    lastError: 'answered 500',
    createdAt: now,
    updatedAt: now,
  });
  return id;
}
