import type { ErrorCode, FieldError } from './errors.js';

/** An error as ProblemFilter works it out, before it is written in some format. */
export interface ErrorFacts {
  status: number;
  code: ErrorCode;
  title: string;
  detail: string;
  errors?: FieldError[];
  requestId: string;
}

/**
 * Another shape for errors on some routes: ProblemFilter answers problem+json everywhere
 * except on requests a registered format claims (SCIM's own error schema under /scim/v2).
 */
export interface ErrorFormat {
  claims(url: string): boolean;
  render(facts: ErrorFacts): { status: number; contentType: string; body: unknown };
}

export const ERROR_FORMAT = Symbol('ERROR_FORMAT');
