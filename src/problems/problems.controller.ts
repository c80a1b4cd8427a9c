import { Controller, Get, Headers, Param, Res } from '@nestjs/common';
import { ApiExtraModels, ApiOkResponse, ApiOperation, ApiParam, ApiProperty, ApiTags, getSchemaPath } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Public } from '../auth/access.decorators.js';
import { DomainError, ERROR_CATALOGUE, type ErrorCode } from '../common/errors.js';
import { isErrorCode, problemTypeEntry, problemTypes, type ProblemTypeEntry } from '../common/problem-types.js';

export class ProblemTypeResponse implements ProblemTypeEntry {
  @ApiProperty({ enum: Object.keys(ERROR_CATALOGUE) }) code!: ErrorCode;
  @ApiProperty({ format: 'uri-reference', example: '/problems/validation_failed', description: 'The `type` of problems with this code' })
  type!: string;
  @ApiProperty({ type: 'integer', minimum: 400, maximum: 599 }) status!: number;
  @ApiProperty() title!: string;
  @ApiProperty({ description: 'What it means and what the caller can do about it' }) meaning!: string;
}

export class ProblemTypeList {
  @ApiProperty({ type: [ProblemTypeResponse] }) data!: ProblemTypeResponse[];
}

/** A browser asking for a page gets HTML; everything else gets JSON. */
function wantsHtml(accept: string | undefined): boolean {
  return typeof accept === 'string' && /\btext\/html\b/.test(accept);
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** `code` spans in the meanings are written in Markdown backticks. */
function inline(text: string): string {
  return escapeHtml(text).replace(/`([^`]+)`/g, '<code>$1</code>');
}

function page(title: string, body: string): string {
  return `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>\n<body>\n${body}\n</body></html>\n`;
}

/** Answers JSON, or the page when the client asks for HTML; either way caches must vary by Accept. */
function negotiate<T>(accept: string | undefined, reply: FastifyReply, json: T, html: () => string): T | string {
  void reply.header('vary', 'Accept');
  if (!wantsHtml(accept)) return json;
  void reply.header('content-type', 'text/html; charset=utf-8').header('content-security-policy', "default-src 'none'");
  return html();
}

const HTML_ALTERNATIVE = { 'text/html': { schema: { type: 'string' as const, description: 'The same as a page, for a browser (Accept: text/html)' } } };

/**
 * The page behind each problem's `type`: every error answer of the API names one of these
 * codes, and a person following its `type` lands here.
 */
@ApiTags('problems')
@ApiExtraModels(ProblemTypeResponse, ProblemTypeList)
@Controller('problems')
export class ProblemsController {
  @Get()
  @Public()
  @ApiOperation({ summary: 'List every problem code', description: 'Each code an error answer may carry, with its status, title and meaning.' })
  @ApiOkResponse({
    content: { 'application/json': { schema: { $ref: getSchemaPath(ProblemTypeList) } }, ...HTML_ALTERNATIVE },
  })
  list(@Headers('accept') accept: string | undefined, @Res({ passthrough: true }) reply: FastifyReply): ProblemTypeList | string {
    const entries = problemTypes();
    return negotiate(accept, reply, { data: entries }, () => {
      const items = entries.map(
        (e) => `<li><a href="/problems/${e.code}"><code>${e.code}</code></a> (${e.status}): ${escapeHtml(e.title)}. ${inline(e.meaning)}</li>`,
      );
      return page(
        'Problem types',
        `<h1>Problem types</h1>\n<p>Every error answer is <code>application/problem+json</code> with one of these codes; its <code>type</code> links here.</p>\n<ul>\n${items.join('\n')}\n</ul>`,
      );
    });
  }

  @Get(':code')
  @Public()
  @ApiOperation({ summary: 'Explain one problem code', description: 'The page a problem\'s `type` points to.' })
  @ApiParam({ name: 'code', description: 'A problem code, as in the `code` of an error answer', schema: { type: 'string', maxLength: 64 } })
  @ApiOkResponse({
    content: { 'application/json': { schema: { $ref: getSchemaPath(ProblemTypeResponse) } }, ...HTML_ALTERNATIVE },
  })
  get(
    @Param('code') code: string,
    @Headers('accept') accept: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): ProblemTypeResponse | string {
    if (!isErrorCode(code)) throw new DomainError('not_found', 'No problem type has this code; GET /problems lists them');
    const entry = problemTypeEntry(code);
    return negotiate(accept, reply, entry, () =>
      page(
        `${entry.code}: ${entry.title}`,
        `<h1><code>${entry.code}</code>: ${escapeHtml(entry.title)} (${entry.status})</h1>\n<p>${inline(entry.meaning)}</p>\n<p><a href="/problems">Every problem type</a></p>`,
      ),
    );
  }
}
