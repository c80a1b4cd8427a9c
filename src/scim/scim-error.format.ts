import type { ErrorFacts, ErrorFormat } from '../common/error-format.js';
import type { ErrorCode } from '../common/errors.js';
import { SCIM, SCIM_BASE, SCIM_CONTENT_TYPE } from './scim.constants.js';

/** RFC 7644 section 3.12's scimType for the service's error codes; codes not listed carry none. */
const SCIM_TYPE: Partial<Record<ErrorCode, string>> = {
  invalid_filter: 'invalidFilter',
  invalid_path: 'invalidPath',
  no_target: 'noTarget',
  invalid_value: 'invalidValue',
  validation_failed: 'invalidValue',
  mutability: 'mutability',
  bad_request: 'invalidSyntax',
  email_taken: 'uniqueness',
  external_id_taken: 'uniqueness',
  username_taken: 'uniqueness',
  name_taken: 'uniqueness',
};

/**
 * Every error under /scim/v2, from the guard's 401 to a route that does not exist, in SCIM's
 * error schema: `status` as a string, `scimType` where RFC 7644 has one. SCIM knows no 422, so a
 * field that fails validation is its 400 invalidValue, naming the fields in the detail.
 */
export class ScimErrorFormat implements ErrorFormat {
  claims(url: string): boolean {
    return url === SCIM_BASE || url.startsWith(`${SCIM_BASE}/`) || url.startsWith(`${SCIM_BASE}?`);
  }

  render(facts: ErrorFacts): { status: number; contentType: string; body: unknown } {
    const status = facts.status === 422 ? 400 : facts.status;
    const fields = facts.errors?.length ? `: ${facts.errors.map((e) => `${e.field} ${e.message}`.trim()).join('; ')}` : '';
    const body: Record<string, unknown> = { schemas: [SCIM.error], status: String(status), detail: `${facts.detail}${fields}` };
    const scimType = SCIM_TYPE[facts.code];
    if (scimType) body.scimType = scimType;
    return { status, contentType: SCIM_CONTENT_TYPE, body };
  }
}
