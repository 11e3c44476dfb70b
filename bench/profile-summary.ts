/**
 * Summarises a V8 CPU profile (node --cpu-prof) as the benchmark's explanations quote it: self
 * time by package, time inclusive of callees by package, and the hottest functions.
 *
 *   BENCH_CPU_PROF=/tmp/prof node bench/run.ts --only ack --quick   # profiles `oom-bot serve`
 *   node bench/profile-summary.ts /tmp/prof                          # the newest .cpuprofile in it
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

const dir = process.argv[2];
if (!dir) {
  process.stderr.write('usage: node bench/profile-summary.ts DIR\n');
  process.exit(2);
}
const newest = readdirSync(dir)
  .filter((f) => f.endsWith('.cpuprofile'))
  .map((f) => join(dir, f))
  .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
if (!newest) {
  process.stderr.write(`no .cpuprofile in ${dir}\n`);
  process.exit(1);
}
const profile = JSON.parse(readFileSync(newest, 'utf8')) as {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
};
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

/** A package (node_modules/<pkg>), a project folder, or a Node internal / native frame. */
function where(n: ProfileNode): string {
  const url = n.callFrame.url;
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1];
  if (pkg) return pkg;
  const own = /\/(src|bench|test)\/(.+)$/.exec(url);
  if (own) return `${own[1]}/${own[2]}`;
  return url || `(${n.callFrame.functionName || 'native'})`;
}

const self = new Map<number, number>();
profile.samples.forEach((id, i) => {
  self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
});
const total = [...self.values()].reduce((a, b) => a + b, 0);
const selfBy = new Map<string, number>();
const inclusiveBy = new Map<string, number>();
const fnBy = new Map<string, number>();
for (const [id, t] of self) {
  const n = byId.get(id) as ProfileNode;
  const w = where(n);
  selfBy.set(w, (selfBy.get(w) ?? 0) + t);
  const fn = `${n.callFrame.functionName || '(anonymous)'} ${w}:${n.callFrame.lineNumber + 1}`;
  fnBy.set(fn, (fnBy.get(fn) ?? 0) + t);
  const seen = new Set<string>();
  for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
    const k = where(byId.get(cur) as ProfileNode);
    if (seen.has(k)) continue;
    seen.add(k);
    inclusiveBy.set(k, (inclusiveBy.get(k) ?? 0) + t);
  }
}
const top = (m: Map<string, number>, k: number) =>
  [...m]
    .sort((a, b) => b[1] - a[1])
    .slice(0, k)
    .map(([name, t]) => `${((100 * t) / total).toFixed(1).padStart(5)}%  ${name}`)
    .join('\n');
process.stdout.write(
  `${newest}: ${(total / 1e6).toFixed(2)} s sampled\n\nself time by package\n${top(selfBy, 15)}\n\n` +
    `inclusive time by package\n${top(inclusiveBy, 20)}\n\nhottest functions (self)\n${top(fnBy, 20)}\n`,
);
