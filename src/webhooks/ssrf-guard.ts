import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import ipaddr from 'ipaddr.js';

/**
 * The address ranges a webhook may reach: only `unicast` (public) addresses. Everything else —
 * loopback, private (RFC 1918), link-local (cloud metadata at 169.254.169.254), unique-local
 * (fc00::/7), carrier-grade NAT, multicast, reserved, unspecified, and IPv6 forms that embed an
 * IPv4 address (mapped, 6to4, Teredo, NAT64) of such a range — is refused.
 */
export function isPublicAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  let parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv6') {
    const v6 = parsed as ipaddr.IPv6;
    if (v6.isIPv4MappedAddress()) parsed = v6.toIPv4Address();
    else if (v6.range() !== 'unicast') return false;
  }
  return parsed.range() === 'unicast';
}

export class ForbiddenAddressError extends Error {
  readonly code = 'WEBHOOK_FORBIDDEN_ADDRESS';
  constructor(host: string, address: string) {
    super(`${host} resolves to ${address}, which is not a public address`);
  }
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;
export type LookupFunction = (hostname: string, options: LookupOptions, callback: LookupCallback) => void;

/**
 * A `lookup` for an http(s) agent that resolves a name and refuses it when any address it
 * resolves to is not public, so the check holds at connect time: a name that pointed somewhere
 * public when the endpoint was registered and now points inside is refused.
 */
export function guardedLookup(resolve: LookupFunction = dnsLookup as unknown as LookupFunction): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, '');
      const list = (addresses as LookupAddress[]) ?? [];
      const refused = list.find((entry) => !isPublicAddress(entry.address));
      if (refused) return callback(new ForbiddenAddressError(hostname, refused.address), '');
      if (list.length === 0) return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), '');
      if (options.all) return callback(null, list);
      return callback(null, list[0]!.address, list[0]!.family);
    });
  };
}

/** `host` or `host:port` as WEBHOOK_ALLOWED_HOSTS lists it, for a URL. */
export function isAllowedHost(url: URL, allowed: readonly string[]): boolean {
  if (allowed.length === 0) return false;
  const host = url.hostname.toLowerCase();
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  return allowed.includes(host) || allowed.includes(`${host}:${port}`);
}

/** The bare address when the URL's host is an IP literal, else null. */
export function literalAddress(url: URL): string | null {
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  return ipaddr.isValid(host) && (host.includes(':') || ipaddr.IPv4.isValidFourPartDecimal(host)) ? host : null;
}
