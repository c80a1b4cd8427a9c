import { Controller, Get, HttpCode, Logger, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBody, ApiConflictResponse, ApiConsumes, ApiOkResponse, ApiOperation, ApiProduces, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { PassThrough, Readable } from 'node:stream';
import { IsIn, IsNotEmpty, IsOptional, IsString, MaxLength } from 'class-validator';
import { RequirePermission } from '../../auth/access.decorators.js';
import { TenantCtx, type TenantContext } from '../../auth/request-context.js';
import { DomainError } from '../../common/errors.js';
import { domainProblem, loggableError } from '../../common/problem.filter.js';
import { FilterOf } from '../../common/validation.js';
import { UsersFilter } from '../dto/users-query.dto.js';
import { MAX_IMPORT_LINE_BYTES } from './import-records.js';
import { UsersExportService } from './users-export.service.js';
import { UsersImportService } from './users-import.service.js';

export const IMPORT_MEDIA_TYPES = { 'application/x-ndjson': 'ndjson', 'text/csv': 'csv' } as const;

class ImportQueryDto {
  @ApiPropertyOptional({ enum: ['upsert', 'create'], default: 'upsert', description: 'upsert: a record matches the user with its externalId when it has one, else its email; create: every record is a new user' })
  @IsOptional()
  @IsIn(['upsert', 'create'])
  mode?: 'upsert' | 'create';

  @ApiPropertyOptional({ enum: ['true', 'false'], default: 'false', description: 'true: validate and report each record without writing anything' })
  @IsOptional()
  @IsIn(['true', 'false'])
  dryRun?: 'true' | 'false';

  @ApiPropertyOptional({
    description:
      'The operator only: another tenant (id or slug) whose users, named by each record\'s `id` as the export writes it, give the new users their password hash and second factor, copied inside the service. No hash is ever exported; this is how a tenant moves with its passwords. A record\'s `enterprise.managerId` that names a user of that tenant is linked to that user\'s counterpart here (the user its record became in this import, else the one its externalId, or its email, matches), wherever the manager is in the file; records waiting for a manager further on are answered after the rest.',
    example: 'acme',
  })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  credentialsFrom?: string;
}

class ExportQueryDto {
  @FilterOf(UsersFilter, { description: 'The filters of GET /api/v2/users: only users matching every filter given.', example: 'filter[active]=1' })
  filter?: UsersFilter;
}

const IMPORT_DESCRIPTION = [
  'The body, of any size, is read as it arrives: NDJSON (`application/x-ndjson`, one user create body per line, plus optionally `passwordHash`) or CSV with a header row (`text/csv`; list cells separate items with `;`, `enterprise.department` columns nest).',
  'Groups and plans are named by id or by name. `passwordHash` takes argon2 (PHC), bcrypt (`$2a$`, `$2b$`, `$2y$`), scrypt (PHC), PBKDF2-SHA256/SHA512 (PHC) and Django `pbkdf2_sha256$` hashes, stored as given and replaced by argon2id at the first login.',
  `The answer streams one NDJSON line per record as its batch commits, \`{ line, status: "created"|"updated"|"unchanged"|"error", id?, error? }\` (error: a problem object; a record longer than ${MAX_IMPORT_LINE_BYTES} bytes is a 413 one), then \`{ summary: { records, created, updated, unchanged, errors, mode, dryRun } }\`.`,
  'Records are applied 500 to a transaction: an interrupted import leaves whole batches, and running the same file again converges ("unchanged"). One import per tenant at a time.',
  'The operator may add `credentialsFrom` (another tenant\'s id or slug): a record with an `id` then takes the password hash and the confirmed second factor (TOTP and unused recovery codes) of the user with that id in that tenant, server-side; the new user gets an id of its own, and turns `tfa` on when a second factor is copied. An `id` that is no user of that tenant, or one sent with `password` or `passwordHash`, is an error line; a record without `id` is imported as usual. Anyone else naming it gets 403.',
  'With `credentialsFrom`, an `enterprise.managerId` that is the id of a user of that tenant names its counterpart here: the user that manager\'s record became in this import, else the user of this tenant its record would match (by its `externalId` when it has one, else its email). A record whose manager comes further on in the file is applied, and answered, after the rest of the file; one whose manager never becomes a user here is an error line on `enterprise.managerId`, as an unknown id is. Any other managerId must be a user of this tenant, as without `credentialsFrom`.',
].join('\n\n');

/** POST /api/v2/users/import and GET /api/v2/users/export (API.md section 12). */
@ApiTags('users')
@Controller('api/v2/users')
export class UsersTransferController {
  private readonly logger = new Logger('UsersImport');

  constructor(
    private readonly imports: UsersImportService,
    private readonly exports: UsersExportService,
  ) {}

  @Post('import')
  @ApiOperation({ summary: 'Import users', description: IMPORT_DESCRIPTION })
  @RequirePermission('users:write')
  @HttpCode(200)
  @ApiConsumes(...Object.keys(IMPORT_MEDIA_TYPES))
  @ApiBody({ schema: { type: 'string', description: 'NDJSON or CSV records' } })
  @ApiProduces('application/x-ndjson')
  @ApiOkResponse({ description: 'One NDJSON line per record, then the summary line', schema: { type: 'string' } })
  @ApiConflictResponse({ description: 'An import of this tenant is already running' })
  async import(@TenantCtx() ctx: TenantContext, @Query() query: ImportQueryDto, @Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const mediaType = String(request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase() as keyof typeof IMPORT_MEDIA_TYPES;
    const format = IMPORT_MEDIA_TYPES[mediaType];
    const body = request.body;
    if (!format || !(body instanceof Readable)) {
      throw new DomainError('unsupported_media_type', 'Send the records as application/x-ndjson or text/csv');
    }
    // Refused (403, 404, 422) before the import starts: nothing is read or written.
    const credentialsFrom = query.credentialsFrom === undefined ? undefined : await this.imports.credentialsSource(ctx, query.credentialsFrom);
    const release = await this.imports.begin(ctx.tenantId);
    const out = new PassThrough();
    let gone = false;
    reply.raw.on('close', () => {
      gone = !reply.raw.writableFinished;
      if (gone) out.destroy();
    });
    /** Whole NDJSON lines, as many as the service has ready. */
    const write = async (text: string): Promise<void> => {
      if (gone || out.destroyed) throw new DomainError('bad_request', 'The client went away');
      if (out.write(text)) return;
      await new Promise<void>((resolve, reject) => {
        out.once('drain', resolve);
        out.once('close', () => reject(new DomainError('bad_request', 'The client went away')));
      });
    };
    void reply.status(200).header('content-type', 'application/x-ndjson; charset=utf-8').header('cache-control', 'no-store').send(out);
    const options = { mode: query.mode ?? 'upsert', dryRun: query.dryRun === 'true', format, ...(credentialsFrom ? { credentialsFrom } : {}) } as const;
    try {
      await this.imports.run(ctx, body, options, write);
    } catch (error) {
      if (!gone) {
        this.logger.error({ err: loggableError(error), requestId: ctx.requestId }, 'import stopped');
        const problem = domainProblem(error instanceof DomainError ? error : new DomainError('internal_error', 'The import stopped; the batches reported above were applied'), ctx.requestId);
        await write(`${JSON.stringify({ error: problem })}\n`).catch(() => undefined);
      }
      body.resume();
    } finally {
      await release();
      out.end();
    }
  }

  @Get('export')
  @ApiOperation({
    summary: 'Export users',
    description: 'Every user of the tenant matching the filters, one NDJSON line each in the user representation, masked for a viewer without canViewMaskedData; no hash or secret. Read in keyset pages, so memory stays flat whatever the size.',
  })
  @RequirePermission('users:read')
  @ApiProduces('application/x-ndjson')
  @ApiOkResponse({ description: 'One user representation per line', schema: { type: 'string' } })
  async export(@TenantCtx() ctx: TenantContext, @Query() query: ExportQueryDto, @Res() reply: FastifyReply): Promise<void> {
    const lines = this.exports.lines(ctx, query.filter ?? {});
    // The first page is read before the answer starts, so a refused filter is still a problem answer.
    const first = await lines.next();
    async function* all(): AsyncGenerator<Buffer> {
      if (!first.done) yield first.value;
      yield* lines;
    }
    void reply.status(200).header('content-type', 'application/x-ndjson; charset=utf-8').header('cache-control', 'no-store').send(Readable.from(all()));
  }
}
