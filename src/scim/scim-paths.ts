import { SCIM_BASE } from './scim.constants.js';

const ENDPOINTS = ['Users', 'Groups', 'Schemas', 'ResourceTypes', 'ServiceProviderConfig'];
const PATTERN = new RegExp(`^${SCIM_BASE}/(${ENDPOINTS.join('|')})(?=[/?]|$)`, 'i');

/**
 * SCIM clients differ in the case of endpoint names (`/users`, `/Users`) and some end a path
 * with a slash (`/Users/?filter=`); routes are exact, so the endpoint segment is put in the
 * RFC's spelling, and a trailing slash dropped, before routing.
 */
export function canonicalScimUrl(url: string): string {
  const match = PATTERN.exec(url);
  if (!match) return url;
  const endpoint = ENDPOINTS.find((e) => e.toLowerCase() === match[1]!.toLowerCase())!;
  const query = url.indexOf('?');
  let path = `${SCIM_BASE}/${endpoint}${(query < 0 ? url : url.slice(0, query)).slice(match[0].length)}`;
  if (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);
  return query < 0 ? path : `${path}${url.slice(query)}`;
}
