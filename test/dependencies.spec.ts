import { FileTypeValidator } from '@nestjs/common';
import Fastify from 'fastify';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import semver from 'semver';

/**
 * The service runs on Node 20 (package.json `engines`). Three packages pulled in by
 * dependencies require Node 22 in their latest majors; package.json `overrides` pins each to
 * its last release that supports Node 20, with the API its dependent calls. These tests keep
 * it so: every installed package accepts Node 20, and each pinned package does what its
 * dependent asks of it.
 */
describe('dependencies on Node 20', () => {
  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { engines: { node: string } };
  const lock = JSON.parse(readFileSync('package-lock.json', 'utf8')) as {
    packages: Record<string, { version?: string; engines?: { node?: string } | string[]; optional?: boolean }>;
  };

  it('installs no package that refuses the oldest Node the service supports, nor the one running', () => {
    const oldest = semver.minVersion(pkg.engines.node)!;
    expect(oldest.major).toBe(20);
    const refusing = Object.entries(lock.packages)
      .filter(([path, entry]) => path !== '' && !Array.isArray(entry.engines) && entry.engines?.node)
      .filter(([, entry]) => {
        const range = (entry.engines as { node: string }).node;
        return !semver.satisfies(oldest, range) || !semver.satisfies(process.version, range);
      })
      .map(([path, entry]) => `${path}@${entry.version} wants node ${(entry.engines as { node: string }).node}`);
    expect(refusing).toEqual([]);
  });

  const requireFrom = (dependent: string) => createRequire(createRequire(import.meta.url).resolve(`${dependent}/package.json`));

  /**
   * The major version of the copy of `name` that `dependent` loads, found as Node finds it:
   * in the node_modules beside the dependent, then in each one above (their exports hide
   * package.json, and file-type has no require entry to resolve).
   */
  function majorFor(dependent: string, name: string): number {
    let dir = dirname(createRequire(import.meta.url).resolve(`${dependent}/package.json`));
    for (;;) {
      const manifest = join(dir, 'node_modules', name, 'package.json');
      if (existsSync(manifest)) return semver.major((JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version);
      if (dirname(dir) === dir) throw new Error(`${dependent} finds no ${name}`);
      dir = dirname(dir);
    }
  }

  it('content-disposition, for @fastify/static (Swagger UI and console files): create() as it calls it', () => {
    const fromStatic = requireFrom('@fastify/static');
    expect(majorFor('@fastify/static', 'content-disposition')).toBe(2);
    const { create } = fromStatic('content-disposition') as { create: (name: string) => string };
    expect(create('résumé.pdf')).toBe(`attachment; filename="r?sum?.pdf"; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf`);
  });

  it('cookie, for light-my-request (Fastify inject): request cookies reach the route', async () => {
    expect(majorFor('light-my-request', 'cookie')).toBe(1);
    const fastify = Fastify();
    fastify.get('/echo', (request) => ({ cookie: request.headers.cookie }));
    const res = await fastify.inject({ method: 'GET', url: '/echo', cookies: { session: 'a b', theme: 'dark' } });
    expect(res.json()).toEqual({ cookie: 'session=a%20b; theme=dark' });
    await fastify.close();
  });

  it("file-type, for @nestjs/common's FileTypeValidator: magic numbers are read", async () => {
    expect(majorFor('@nestjs/common', 'file-type')).toBe(21);
    const png = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489', 'hex');
    const validator = new FileTypeValidator({ fileType: 'image/png' });
    await expect(validator.isValid({ mimetype: 'image/png', buffer: png } as never)).resolves.toBe(true);
    await expect(validator.isValid({ mimetype: 'image/png', buffer: Buffer.from('GIF89a') } as never)).resolves.toBe(false);
  });
});
