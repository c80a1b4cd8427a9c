/**
 * Top self-time functions of a V8 .cpuprofile (from `node --cpu-prof`), and the same time
 * rolled up by package, to see where a server spends its CPU under load.
 *
 *   node dist/bench/cpuprofile-top.js <file.cpuprofile> [rows=30]
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** node_modules/<pkg> (scoped too), node:internal, or the project's own file. */
function packageOf(url: string): string {
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (match) return match[1]!;
  if (url.startsWith('node:') || url === '') return url === '' ? '(native/gc/idle)' : 'node:internal';
  return url.replace(/^.*\/dist\//, 'dist/');
}

const [file, rowsArg] = process.argv.slice(2);
if (!file) {
  console.error('usage: node dist/bench/cpuprofile-top.js <file.cpuprofile> [rows]');
  process.exit(2);
}
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const selfUs = new Map<number, number>();
profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));

const byFunction = new Map<string, number>();
const byPackage = new Map<string, number>();
let total = 0;
let idle = 0;
for (const [id, us] of selfUs) {
  const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
  total += us;
  if (functionName === '(idle)') idle += us;
  const name = `${functionName || '(anonymous)'}  ${url ? `${url.replace(/^.*\/(node_modules|dist)\//, '$1/')}:${lineNumber + 1}` : ''}`;
  byFunction.set(name, (byFunction.get(name) ?? 0) + us);
  const pkg = functionName.startsWith('(') ? functionName : packageOf(url);
  byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + us);
}
const busy = total - idle;
const rows = Number(rowsArg ?? '30');
const show = (title: string, map: Map<string, number>, n: number) => {
  console.log(`\n${title} (% of busy time, ${(busy / 1e6).toFixed(1)} s busy of ${(total / 1e6).toFixed(1)} s)`);
  for (const [name, us] of [...map].sort((a, b) => b[1] - a[1]).slice(0, n)) {
    if (name === '(idle)') continue;
    console.log(`  ${((us / busy) * 100).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(7)} ms  ${name}`);
  }
};
show('self time by package', byPackage, 25);
show('self time by function', byFunction, rows);
