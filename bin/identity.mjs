#!/usr/bin/env node
// The command-line client of the bulk import and export (src/cli/identity.ts), as built.
import { existsSync } from 'node:fs';
import process from 'node:process';
import { URL } from 'node:url';

const built = new URL('../dist/src/cli/identity.js', import.meta.url);
if (!existsSync(built)) {
  process.stderr.write('identity: the client is not built yet; run npm run build\n');
  process.exit(1);
}
const { main } = await import(built.href);
await main(process.argv);
