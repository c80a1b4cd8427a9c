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
 * one JSON line each, read in keyset pages through the users service.
 */
@Injectable()
export class UsersExportService {
  constructor(private readonly users: UsersService) {}

  async *lines(ctx: TenantContext, filter: UsersFilter): AsyncGenerator<string> {
    let after: string | undefined;
    for (;;) {
      const page = await this.users.list(ctx, { limit: EXPORT_PAGE_SIZE, offset: 0, after, sort: 'createdAt', count: false, filter });
      const now = new Date();
      let chunk = '';
      for (const user of page.users) chunk += `${JSON.stringify(toUserResponse(user, ctx.principal, now))}\n`;
      if (chunk) yield chunk;
      if (page.nextCursor === null) return;
      after = page.nextCursor;
    }
  }
}
