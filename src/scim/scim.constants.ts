/** The URNs of RFC 7643 and RFC 7644 this server speaks. */
export const SCIM = {
  user: 'urn:ietf:params:scim:schemas:core:2.0:User',
  group: 'urn:ietf:params:scim:schemas:core:2.0:Group',
  enterprise: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User',
  listResponse: 'urn:ietf:params:scim:api:messages:2.0:ListResponse',
  patchOp: 'urn:ietf:params:scim:api:messages:2.0:PatchOp',
  error: 'urn:ietf:params:scim:api:messages:2.0:Error',
  serviceProviderConfig: 'urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig',
  schema: 'urn:ietf:params:scim:schemas:core:2.0:Schema',
  resourceType: 'urn:ietf:params:scim:schemas:core:2.0:ResourceType',
} as const;

export const SCIM_BASE = '/scim/v2';
/** Without a charset parameter: JSON is UTF-8 by definition (RFC 8259), and strict clients compare the type whole. */
export const SCIM_CONTENT_TYPE = 'application/scim+json';

/** `count` when the client sends none, and the most a page holds (ServiceProviderConfig's filter.maxResults). */
export const DEFAULT_COUNT = 100;
export const MAX_COUNT = 200;

/** Limits on a filter: longer, deeper or larger ones are refused (400 invalidFilter) before parsing. */
export const FILTER_LIMITS = { length: 4096, depth: 16, terms: 100 } as const;

/** Limits on a PATCH: operations per request, and values per members operation. */
export const PATCH_LIMITS = { operations: 1000, members: 10_000 } as const;
