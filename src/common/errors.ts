/**
 * Domain errors carry a stable code; ProblemFilter is the only place that turns them
 * into application/problem+json responses.
 */
export const ERROR_CATALOGUE = {
  bad_request: { status: 400, title: 'Bad request' },
  tenant_header_required: { status: 400, title: 'X-Tenant-Id header required' },
  invalid_filter: { status: 400, title: 'Invalid filter' },
  invalid_path: { status: 400, title: 'Invalid path' },
  no_target: { status: 400, title: 'No target' },
  invalid_value: { status: 400, title: 'Invalid value' },
  mutability: { status: 400, title: 'Attribute is read-only' },
  invalid_credentials: { status: 401, title: 'Invalid credentials' },
  unauthenticated: { status: 401, title: 'Authentication required' },
  otp_required: { status: 401, title: 'One-time password required' },
  token_expired: { status: 401, title: 'Token expired' },
  forbidden: { status: 403, title: 'Forbidden' },
  tfa_enrollment_required: { status: 403, title: 'Two-factor enrolment required' },
  password_change_required: { status: 403, title: 'Password change required' },
  not_found: { status: 404, title: 'Not found' },
  method_not_allowed: { status: 405, title: 'Method not allowed' },
  conflict: { status: 409, title: 'Conflict' },
  slug_taken: { status: 409, title: 'Slug already taken' },
  email_taken: { status: 409, title: 'Email already taken' },
  external_id_taken: { status: 409, title: 'External id already taken' },
  username_taken: { status: 409, title: 'Username already taken' },
  name_taken: { status: 409, title: 'Name already taken' },
  last_admin: { status: 409, title: 'Last admin' },
  precondition_failed: { status: 412, title: 'Precondition failed' },
  payload_too_large: { status: 413, title: 'Payload too large' },
  unsupported_media_type: { status: 415, title: 'Unsupported media type' },
  validation_failed: { status: 422, title: 'Validation failed' },
  rate_limited: { status: 429, title: 'Too many requests' },
  internal_error: { status: 500, title: 'Internal server error' },
  service_unavailable: { status: 503, title: 'Service unavailable' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

export interface FieldError {
  field: string;
  message: string;
}

export class DomainError extends Error {
  readonly status: number;

  constructor(
    readonly code: ErrorCode,
    detail?: string,
    readonly errors?: FieldError[],
    readonly headers?: Record<string, string>,
  ) {
    super(detail ?? ERROR_CATALOGUE[code].title);
    this.status = ERROR_CATALOGUE[code].status;
  }

  static notFound(what: string): DomainError {
    return new DomainError('not_found', `${what} not found`);
  }

  static validation(errors: FieldError[]): DomainError {
    return new DomainError('validation_failed', 'The request has invalid fields', errors);
  }
}
