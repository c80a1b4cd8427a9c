import { MAX_COUNT, SCIM } from './scim.constants.js';

/*
 * Discovery (RFC 7643 sections 5-7, RFC 7644 section 4): what this server does, said in SCIM's
 * own terms. Only attributes the server stores are listed; each one's mutability, returned,
 * uniqueness and caseExact say how it really behaves (see scim-users.mapper.ts and
 * scim-filter.ts).
 */

interface Attribute {
  name: string;
  type: 'string' | 'boolean' | 'complex' | 'dateTime' | 'reference' | 'integer';
  multiValued: boolean;
  description: string;
  required: boolean;
  caseExact: boolean;
  mutability: 'readOnly' | 'readWrite' | 'immutable' | 'writeOnly';
  returned: 'always' | 'never' | 'default' | 'request';
  uniqueness: 'none' | 'server' | 'global';
  canonicalValues?: string[];
  referenceTypes?: string[];
  subAttributes?: Attribute[];
}

type Options = Partial<Omit<Attribute, 'name' | 'type' | 'description'>>;

function attr(name: string, type: Attribute['type'], description: string, options: Options = {}): Attribute {
  const base: Attribute = {
    name,
    type,
    multiValued: false,
    description,
    required: false,
    caseExact: false,
    mutability: 'readWrite',
    returned: 'default',
    uniqueness: 'none',
    ...options,
  };
  if (type === 'complex') delete (base as Partial<Attribute>).caseExact;
  return base;
}

/** value / type / primary of emails and phoneNumbers: one value is kept, the primary one. */
function singleKept(name: string, what: string): Attribute {
  return attr(name, 'complex', `${what}. One is kept: the one marked primary, else the first; it is returned with type "work" and primary true.`, {
    multiValued: true,
    subAttributes: [
      attr('value', 'string', `The ${what.toLowerCase().replace(/s$/, '')}.`),
      attr('type', 'string', 'Always "work" when returned; ignored when sent.', { canonicalValues: ['work', 'home', 'mobile', 'other'] }),
      attr('primary', 'boolean', 'Always true when returned.'),
    ],
  });
}

const USER_ATTRIBUTES: Attribute[] = [
  attr('userName', 'string', "Unique per tenant, case-insensitive (stored lower-cased). Read: the username, or the email for a user that has none. Written: the username; also the email when it is one and no email is sent.", {
    required: true,
    uniqueness: 'server',
  }),
  attr('name', 'complex', "The user's name.", {
    subAttributes: [
      attr('formatted', 'string', 'The full name; the same value as displayName.'),
      attr('familyName', 'string', 'Last name.'),
      attr('givenName', 'string', 'First name.'),
    ],
  }),
  attr('displayName', 'string', 'The full name (name.formatted); defaults to givenName familyName, else the local part of the email.'),
  attr('active', 'boolean', 'false deactivates the user: every session ends and its API key stops at once. true reactivates it.'),
  attr('password', 'string', "Write-only; the tenant's password policy applies. Setting it ends the user's sessions.", {
    mutability: 'writeOnly',
    returned: 'never',
    caseExact: true,
  }),
  singleKept('emails', 'Email addresses'),
  singleKept('phoneNumbers', 'Phone numbers'),
  attr('groups', 'complex', 'The groups the user belongs to; change them through /Groups.', {
    multiValued: true,
    mutability: 'readOnly',
    subAttributes: [
      attr('value', 'string', 'The group id.', { mutability: 'readOnly' }),
      attr('$ref', 'reference', 'The group URI.', { mutability: 'readOnly', referenceTypes: ['Group'] }),
      attr('display', 'string', 'The group name.', { mutability: 'readOnly' }),
      attr('type', 'string', 'Always "direct".', { mutability: 'readOnly', canonicalValues: ['direct'] }),
    ],
  }),
];

const ENTERPRISE_ATTRIBUTES: Attribute[] = [
  attr('employeeNumber', 'string', 'Up to 100 characters; compared exactly.', { caseExact: true }),
  attr('costCenter', 'string', 'Up to 100 characters.'),
  attr('organization', 'string', 'Up to 200 characters.'),
  attr('division', 'string', 'Up to 200 characters.'),
  attr('department', 'string', 'Up to 200 characters.'),
  attr('manager', 'complex', "The user's manager: another user of the tenant.", {
    subAttributes: [
      attr('value', 'string', 'The manager\'s id.', { caseExact: true }),
      attr('$ref', 'reference', "The manager's URI.", { mutability: 'readOnly', referenceTypes: ['User'] }),
    ],
  }),
];

const GROUP_ATTRIBUTES: Attribute[] = [
  attr('displayName', 'string', 'Unique per tenant. Permissions of a group are managed through /api/v2/groups.', {
    required: true,
    uniqueness: 'server',
  }),
  attr('members', 'complex', 'The users in the group; only users can be members.', {
    multiValued: true,
    subAttributes: [
      attr('value', 'string', 'The user id.', { mutability: 'immutable', caseExact: true }),
      attr('$ref', 'reference', 'The user URI.', { mutability: 'immutable', referenceTypes: ['User'] }),
      attr('display', 'string', "The user's name.", { mutability: 'readOnly' }),
      attr('type', 'string', 'Always "User".', { mutability: 'immutable', canonicalValues: ['User'] }),
    ],
  }),
];

export function schemaDocuments(base: string): Record<string, unknown>[] {
  const schema = (id: string, name: string, description: string, attributes: Attribute[]) => ({
    schemas: [SCIM.schema],
    id,
    name,
    description,
    attributes,
    meta: { resourceType: 'Schema', location: `${base}/Schemas/${id}` },
  });
  return [
    schema(SCIM.user, 'User', 'User Account', USER_ATTRIBUTES),
    schema(SCIM.enterprise, 'EnterpriseUser', 'Enterprise User', ENTERPRISE_ATTRIBUTES),
    schema(SCIM.group, 'Group', 'Group', GROUP_ATTRIBUTES),
  ];
}

export function resourceTypeDocuments(base: string): Record<string, unknown>[] {
  return [
    {
      schemas: [SCIM.resourceType],
      id: 'User',
      name: 'User',
      endpoint: '/Users',
      description: 'User Account',
      schema: SCIM.user,
      schemaExtensions: [{ schema: SCIM.enterprise, required: false }],
      meta: { resourceType: 'ResourceType', location: `${base}/ResourceTypes/User` },
    },
    {
      schemas: [SCIM.resourceType],
      id: 'Group',
      name: 'Group',
      endpoint: '/Groups',
      description: 'Group',
      schema: SCIM.group,
      schemaExtensions: [],
      meta: { resourceType: 'ResourceType', location: `${base}/ResourceTypes/Group` },
    },
  ];
}

export function serviceProviderConfig(base: string): Record<string, unknown> {
  return {
    schemas: [SCIM.serviceProviderConfig],
    documentationUri: `${base.replace(/\/scim\/v2$/, '')}/docs`,
    patch: { supported: true },
    bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
    filter: { supported: true, maxResults: MAX_COUNT },
    changePassword: { supported: true },
    sort: { supported: true },
    etag: { supported: true },
    authenticationSchemes: [
      {
        type: 'oauthbearertoken',
        name: 'API key',
        description:
          "Authorization: Bearer idk_… : the API key of a user of the tenant (POST /api/v2/users/{id}/actions/reset-api-key), with users:* and groups:* permissions as needed. The operator sends X-Admin-Key and X-Tenant-Id.",
        primary: true,
      },
    ],
    meta: {
      resourceType: 'ServiceProviderConfig',
      location: `${base}/ServiceProviderConfig`,
    },
  };
}
