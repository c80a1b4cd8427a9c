import type { LookupAddress } from 'node:dns';
import { guardedLookup, isAllowedHost, isPublicAddress, literalAddress, type LookupFunction } from './ssrf-guard.js';

/** A resolver answering from a table: no name is ever looked up for real, nothing is connected to. */
function fakeResolver(table: Record<string, string[]>): LookupFunction {
  return (hostname, _options, callback) => {
    const addresses = table[hostname];
    if (!addresses) return callback(Object.assign(new Error('not found'), { code: 'ENOTFOUND' }), '');
    callback(null, addresses.map((address): LookupAddress => ({ address, family: address.includes(':') ? 6 : 4 })));
  };
}

function resolve(lookup: LookupFunction, host: string, all = false): Promise<{ error: (Error & { code?: string }) | null; address: unknown }> {
  return new Promise((done) => lookup(host, { all }, (error, address) => done({ error, address })));
}

describe('webhook address rules', () => {
  it.each([
    ['127.0.0.1'], ['127.8.9.10'], ['10.0.0.5'], ['172.16.3.4'], ['192.168.1.1'], ['169.254.169.254'], ['100.64.0.1'], ['0.0.0.0'],
    ['255.255.255.255'], ['224.0.0.1'], ['192.0.2.1'], ['198.18.0.1'], ['::1'], ['::'], ['fe80::1'], ['fd00:ec2::254'], ['fc00::1'],
    ['::ffff:10.0.0.1'], ['::ffff:127.0.0.1'], ['64:ff9b::a00:1'], ['2002:a00:1::'], ['2001::1'], ['ff02::1'], ['not an address'],
  ])('refuses %s', (address) => {
    expect(isPublicAddress(address)).toBe(false);
  });

  it.each([['93.184.216.34'], ['8.8.8.8'], ['2606:4700:4700::1111'], ['::ffff:93.184.216.34']])('accepts the public address %s', (address) => {
    expect(isPublicAddress(address)).toBe(true);
  });

  it('refuses a name when any address it resolves to is not public, at lookup time', async () => {
    const lookup = guardedLookup(
      fakeResolver({ 'public.example': ['93.184.216.34'], 'rebound.example': ['93.184.216.34', '10.0.0.7'], 'metadata.example': ['169.254.169.254'], 'v6.example': ['fd00::1'] }),
    );
    expect(await resolve(lookup, 'public.example')).toEqual({ error: null, address: '93.184.216.34' });
    expect((await resolve(lookup, 'public.example', true)).address).toEqual([{ address: '93.184.216.34', family: 4 }]);
    for (const host of ['rebound.example', 'metadata.example', 'v6.example']) {
      const { error } = await resolve(lookup, host);
      expect(error?.code).toBe('WEBHOOK_FORBIDDEN_ADDRESS');
    }
    expect((await resolve(lookup, 'unknown.example')).error?.code).toBe('ENOTFOUND');
  });

  it('matches WEBHOOK_ALLOWED_HOSTS entries by host, or by host and port', () => {
    expect(isAllowedHost(new URL('http://127.0.0.1:8080/x'), ['127.0.0.1'])).toBe(true);
    expect(isAllowedHost(new URL('http://127.0.0.1:8080/x'), ['127.0.0.1:8080'])).toBe(true);
    expect(isAllowedHost(new URL('http://127.0.0.1:8081/x'), ['127.0.0.1:8080'])).toBe(false);
    expect(isAllowedHost(new URL('https://Receiver.Test/x'), ['receiver.test:443'])).toBe(true);
    expect(isAllowedHost(new URL('http://[::1]:9/x'), ['[::1]'])).toBe(true);
    expect(isAllowedHost(new URL('http://127.0.0.1/x'), [])).toBe(false);
  });

  it('reads IP literals however the URL spells them', () => {
    expect(literalAddress(new URL('https://0x7f.1/'))).toBe('127.0.0.1');
    expect(literalAddress(new URL('https://2130706433/'))).toBe('127.0.0.1');
    expect(literalAddress(new URL('https://[::ffff:7f00:1]/'))).toBe('::ffff:7f00:1');
    expect(literalAddress(new URL('https://hooks.example.com/'))).toBeNull();
  });
});
