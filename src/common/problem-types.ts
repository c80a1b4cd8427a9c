import { ERROR_CATALOGUE, type ErrorCode } from './errors.js';

/**
 * What each problem `code` means and what the caller can do about it: the page behind every
 * problem's `type` (`/problems/{code}`), served by the service itself. A code added to
 * ERROR_CATALOGUE does not compile until it is explained here.
 */
export const PROBLEM_MEANINGS: Record<ErrorCode, string> = {
  bad_request:
    'The request is malformed: a body that is not JSON or nests deeper than 32 levels, or a malformed header such as If-Match. Fix the request as `detail` says and send it again.',
  invalid_filter:
    'A SCIM `filter` (or a value filter in a PATCH path) does not parse, names an attribute the server does not hold, compares a type the wrong way, is too long or too deep, or compares a masked attribute other than whole (`eq`, `ne`, `pr`) for a caller that sees masked data. SCIM answers it as 400 `invalidFilter`.',
  invalid_path: 'A SCIM PATCH `path` names no attribute the server holds, or is malformed. SCIM answers it as 400 `invalidPath`.',
  no_target: 'A SCIM PATCH operation has no target: a `remove` without a `path`, or a filter that selects nothing to replace. SCIM answers it as 400 `noTarget`.',
  invalid_value:
    'A SCIM request carries a value the server cannot take: a required attribute missing, an unknown attribute, a wrong type, an unknown member, a query parameter that is not an integer. SCIM answers it as 400 `invalidValue`.',
  mutability: 'A SCIM request tries to change a read-only attribute (`id`, `meta`, a user\'s `groups`). SCIM answers it as 400 `mutability`.',
  tenant_header_required:
    'The operator called a tenant-scoped route without naming the tenant. Send `X-Tenant-Id` with the tenant\'s id or slug.',
  invalid_credentials:
    'The credential is not valid: a wrong email or password, an inactive or locked account, a client address outside the user\'s IP allow-list, an unknown operator key or API key, or an access token that is malformed, expired or of an ended session. Login answers every one of these alike, so it reveals nothing about the account.',
  unauthenticated: 'The route needs a principal and the request carries none. Send `X-Admin-Key` (operator) or `Authorization: Bearer` with an access token or an API key.',
  otp_required: 'The account has two-factor authentication: send the current 6-digit code as `otp`, or a recovery code as `recoveryCode`, with the password.',
  token_expired: 'The access token has expired. Get a new pair from `POST /api/v2/auth/refresh` with the refresh token.',
  forbidden:
    'The caller is authenticated but may not do this: it lacks the permission the route names in `detail`, the route is the operator\'s, or the target user holds permissions the caller does not (an admin may be changed only by an admin or the operator).',
  tfa_enrollment_required:
    'The account must enrol a second factor before anything else: `POST /api/v2/me/tfa/enroll`, then `POST /api/v2/me/tfa/confirm` with a code.',
  password_change_required: 'The account must change its password before anything else: `POST /api/v2/me/password`.',
  not_found: 'Nothing with this id or name exists in the tenant the request acts in (a resource of another tenant is not found either).',
  method_not_allowed: 'The route does not accept this HTTP method.',
  conflict: 'The request conflicts with the current state, as `detail` says: for example a change made concurrently, or TFA that is already enrolled. Read the resource again and retry.',
  slug_taken: 'Another tenant already has this slug. Slugs are unique; pick another.',
  email_taken: 'Another user of the tenant already has this email address (compared without case).',
  external_id_taken: 'Another user of the tenant already has this `externalId` (compared exactly). To update that user, use `PUT /api/v2/users/external/{externalId}`.',
  username_taken: 'Another user of the tenant already has this username (compared without case).',
  name_taken: 'Another group or plan of the tenant already has this name.',
  last_admin: 'The change would leave the tenant without an active admin. Make another user admin first.',
  precondition_failed:
    'The `If-Match` header does not match the resource\'s current ETag: it changed since it was read. Read it again (the response carries the new ETag) and reapply the change.',
  payload_too_large: 'The request body is larger than the limit (256 KiB unless the service sets BODY_LIMIT_BYTES).',
  unsupported_media_type: 'The body is not JSON. Send it with `Content-Type: application/json`.',
  validation_failed:
    'One or more fields or query parameters are invalid or unknown. `errors` holds one entry per field, with the field\'s path (`email`, `filter.email`, `plans.0.validTo`) and what it must be.',
  rate_limited: 'Too many attempts from this client address. Wait the number of seconds in the `Retry-After` header, then try again.',
  internal_error: 'An unexpected error on the service\'s side. Nothing about it is revealed; quote `requestId` when reporting it.',
  service_unavailable: 'The service cannot reach its database right now. Retry after the number of seconds in `Retry-After`.',
};

/** The `type` of a problem: a path on this service, resolved against the request's URL. */
export function problemType(code: ErrorCode): string {
  return `/problems/${code}`;
}

export interface ProblemTypeEntry {
  code: ErrorCode;
  type: string;
  status: number;
  title: string;
  meaning: string;
}

export function problemTypes(): ProblemTypeEntry[] {
  return (Object.keys(ERROR_CATALOGUE) as ErrorCode[]).map((code) => problemTypeEntry(code));
}

export function problemTypeEntry(code: ErrorCode): ProblemTypeEntry {
  const { status, title } = ERROR_CATALOGUE[code];
  return { code, type: problemType(code), status, title, meaning: PROBLEM_MEANINGS[code] };
}

export function isErrorCode(value: string): value is ErrorCode {
  return Object.hasOwn(ERROR_CATALOGUE, value);
}
