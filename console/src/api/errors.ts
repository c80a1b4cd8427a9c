import type { FieldError, Problem } from './types.js';

/**
 * A problem answer from the API (application/problem+json), shaped as refine's HttpError so
 * its hooks and forms understand it: `message` is the problem's `detail`, `errors` maps each
 * field named in a 422 to its message.
 */
export class ApiError extends Error {
  readonly statusCode: number;
  readonly code: string | undefined;
  readonly detail: string;
  readonly fieldErrors: FieldError[];
  readonly errors: Record<string, string>;
  readonly requestId: string | undefined;

  constructor(readonly problem: Problem) {
    super(problem.detail ?? problem.title ?? `The request failed (${problem.status}).`);
    this.name = 'ApiError';
    this.statusCode = problem.status;
    this.code = problem.code;
    this.detail = this.message;
    this.fieldErrors = problem.errors ?? [];
    this.errors = {};
    for (const { field, message } of this.fieldErrors) {
      this.errors[field] = this.errors[field] ? `${this.errors[field]}; ${message}` : message;
    }
    this.requestId = problem.requestId;
  }

  /** The message for one field of a 422, matched by its name or a path under it (`plans[0].validTo`). */
  fieldMessage(field: string): string | undefined {
    if (this.errors[field]) return this.errors[field];
    const nested = this.fieldErrors.filter((e) => e.field.startsWith(`${field}.`) || e.field.startsWith(`${field}[`));
    return nested.length > 0 ? nested.map((e) => e.message).join('; ') : undefined;
  }
}

/** Reads a failed response as a problem; a body that is not one still gives a readable error. */
export async function problemOf(response: Response): Promise<ApiError> {
  const text = await response.text().catch(() => '');
  try {
    const body = JSON.parse(text) as Partial<Problem>;
    if (body && typeof body === 'object') return new ApiError({ ...body, status: body.status ?? response.status });
  } catch {
    // not JSON: fall through
  }
  return new ApiError({
    status: response.status,
    title: response.statusText,
    detail: response.status >= 500 ? 'The service could not answer. Try again in a moment.' : `The request failed (${response.status}).`,
  });
}

export function networkError(): ApiError {
  return new ApiError({ status: 0, title: 'Network error', detail: 'The service cannot be reached. Check the connection and try again.' });
}
