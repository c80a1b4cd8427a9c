import { Injectable } from '@nestjs/common';
import type { TenantContext } from '../../auth/request-context.js';
import { toUserResponse } from '../dto/user-response.dto.js';
import type { UsersFilter } from '../dto/users-query.dto.js';
import { UsersService } from '../users.service.js';

/** Users read per page: one keyset page of the list at a time is all the export holds. */
export const EXPORT_PAGE_SIZE = 1000;

/**
 * GET /api/v2/users/export (API.md section 12): every user of the tenant matching the list's
 * filters, as the list shows it to this caller (masked per viewer, never a hash or secret),
 * one JSON line each, read in keyset pages through the users service, one page ahead.
 */
@Injectable()
export class UsersExportService {
  constructor(private readonly users: UsersService) {}

  async *lines(ctx: TenantContext, filter: UsersFilter): AsyncGenerator<string> {
    const page = (after: string | undefined) => {
      const read = this.users.list(ctx, { limit: EXPORT_PAGE_SIZE, offset: 0, after, sort: 'createdAt', count: false, filter });
      // A page read ahead and never awaited (the client went away) must not be an unhandled rejection.
      read.catch(() => undefined);
      return read;
    };
    let next = page(undefined);
    for (;;) {
      const current = await next;
      // The next page is read while this one is written out and sent: on MariaDB the export
      // had been waiting for the database a third of its time.
      if (current.nextCursor !== null) next = page(current.nextCursor);
      const now = new Date();
      let chunk = '';
      for (const user of current.users) chunk += `${JSON.stringify(toUserResponse(user, ctx.principal, now))}\n`;
      if (chunk) yield chunk;
      if (current.nextCursor === null) return;
    }
  }
}
