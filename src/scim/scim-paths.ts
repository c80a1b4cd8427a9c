import { SCIM_BASE } from './scim.constants.js';

const ENDPOINTS = ['Users', 'Groups', 'Schemas', 'ResourceTypes', 'ServiceProviderConfig'];
const PATTERN = new RegExp(`^${SCIM_BASE}/(${ENDPOINTS.join('|')})(?=[/?]|$)`, 'i');

/**
 * SCIM clients differ in the case of endpoint names (`/users`, `/Users`); routes are
 * case-sensitive, so the endpoint segment is put in the RFC's spelling before routing.
 */
export function canonicalScimUrl(url: string): string {
  const match = PATTERN.exec(url);
  if (!match) return url;
  const endpoint = ENDPOINTS.find((e) => e.toLowerCase() === match[1]!.toLowerCase())!;
  return match[1] === endpoint ? url : `${SCIM_BASE}/${endpoint}${url.slice(match[0].length)}`;
}
