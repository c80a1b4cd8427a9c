import { jest } from '@jest/globals';
import { Logger, type ArgumentsHost } from '@nestjs/common';
import { QueryFailedError } from 'typeorm';
import type { ErrorFormat } from './error-format.js';
import { loggableError, ProblemFilter, redactLiterals } from './problem.filter.js';

const DUPLICATE = "Duplicate entry '01a2-ann.smith@example.com' for key 'uq_users_tenant_email'";

describe('a server fault in the log', () => {
  it('keeps what failed and where, not the values a driver quotes', () => {
    expect(redactLiterals(DUPLICATE)).toBe("Duplicate entry '…' for key '…'");
    expect(redactLiterals("Incorrect string value: '\\xF0\\x9F\\x98' for column `name` at row 1")).toBe("Incorrect string value: '…' for column `name` at row 1");
    expect(redactLiterals('a "quoted \\" value" and \'it\'\'s\' here')).toBe("a '…' and '…' here");
    expect(redactLiterals('Pool is closed.')).toBe('Pool is closed.');
    expect(loggableError(new Error('no recipient <ann.smith@example.com> here')).message).toBe('no recipient <a***@example.com> here');
  });

  it('logs the stack frames under the redacted message', () => {
    const err = new QueryFailedError('INSERT INTO users VALUES (?)', ['ann.smith@example.com'], new Error(DUPLICATE));
    const logged = loggableError(err);
    expect(logged.type).toBe('QueryFailedError');
    expect(logged.message).toBe("Duplicate entry '…' for key '…'");
    expect(logged.stack).toMatch(/^QueryFailedError: Duplicate entry '…' for key '…'\n\s+at /);
    expect(JSON.stringify(logged)).not.toContain('ann.smith');
    // Something thrown that is no Error: its text, redacted; an object says only that it was thrown.
    expect(loggableError("secret 'x'")).toEqual({ type: 'Error', message: "secret '…'", stack: expect.stringMatching(/^Error: secret '…'\n/) });
    expect(loggableError({ password: 'hunter2' }).message).toBe('non-error thrown');
  });

  it('answers 500 without the message and logs it without the values', () => {
    const logged: unknown[] = [];
    const spy = jest.spyOn(Logger.prototype, 'error').mockImplementation((...args: unknown[]) => void logged.push(args[0]));
    const sent: { status?: number; body?: string } = {};
    const reply = {
      status(code: number) {
        sent.status = code;
        return reply;
      },
      headers() {
        return reply;
      },
      send(body: string) {
        sent.body = body;
        return reply;
      },
    };
    const host = { switchToHttp: () => ({ getRequest: () => ({ id: 'req-1', url: '/api/v2/users' }), getResponse: () => reply }) } as unknown as ArgumentsHost;
    const format: ErrorFormat = { claims: () => false, render: () => ({ status: 500, contentType: '', body: null }) };
    try {
      new ProblemFilter(format).catch(new QueryFailedError('INSERT', [], new Error(DUPLICATE)), host);
    } finally {
      spy.mockRestore();
    }
    expect(sent.status).toBe(500);
    expect(sent.body).not.toContain('ann.smith');
    expect(sent.body).not.toContain('Duplicate');
    expect(logged).toHaveLength(1);
    expect(JSON.stringify(logged[0])).toContain("Duplicate entry '…'");
    expect(JSON.stringify(logged[0])).not.toContain('ann.smith');
  });
});
