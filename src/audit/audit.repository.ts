import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { insertEntities } from '../database/fast-query.js';
import { AuditEvent } from './audit-event.entity.js';

/** Writes to audit_events that TypeORM's builders make slow. */
@Injectable()
export class AuditRepository {
  /**
   * Events in multi-row INSERTs of 500, in the caller's transaction: an import's batch has an
   * event per user, and TypeORM's insert builder names, checks and rewrites every value as a
   * named parameter, which cost more CPU than the database spent on the statement.
   */
  async insertMany(events: AuditEvent[], manager: EntityManager): Promise<void> {
    await insertEntities(manager, AuditEvent, events, 500);
  }
}
