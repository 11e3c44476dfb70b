/**
 * Accuracy benchmark: generated incidents (seeded, varied, adversarial) diagnosed by the bot and by
 * two baselines on the same data: Robusta's two-threshold rule and KRR's limit formula.
 * Prints the confusion matrix, per-cause precision and recall, the recommendation success rate
 * (limit within [true peak demand, 4x it]) and the count of dangerous advice.
 *
 *   node bench/accuracy.ts [--count 300] [--seed 42] [--out FILE.md]
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { diagnose } from '../src/domain/diagnose.ts';
import { CAUSES, type Cause, type Diagnosis, type Evidence } from '../src/domain/types.ts';
import { collectEvidence } from '../src/evidence.ts';
import { resolveTarget } from '../src/sources/cluster.ts';
import { parseOpenMetrics } from '../src/sources/openmetrics.ts';
import type { KubeObject } from '../src/sources/ports.ts';
import { createStaticLister, createStaticMetrics } from '../src/sources/scenario.ts';
import {
  corpusSpecs,
  type GeneratedScenario,
  generateScenario,
  renderOpenMetrics,
} from '../test/scenarios/generator.ts';

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '300' },
    seed: { type: 'string', default: '42' },
    out: { type: 'string' },
  },
});
const count = Number(values.count);
const seed = Number(values.seed);

interface Outcome {
  name: string;
  variant: string;
  expected: Cause;
  acceptable: Cause[];
  ours: Cause;
  robusta: Cause;
  recRange?: { min: number; max: number };
  ourLimit?: number;
  krrLimit?: number;
  noLimitIncrease: boolean;
  ourDangerous: boolean;
  krrDangerous: boolean;
  cpuMs: number;
}

/** Robusta: peak/limit >= 0.92 -> the container (raise its limit); node usage >= 0.95 -> the node; else unknown. */
function robustaRule(e: Evidence, d: Diagnosis): Cause {
  const limit = d.facts.limitBytes;
  const peak = d.facts.peakBytes;
  if (limit && peak !== undefined && peak / limit >= 0.92) return 'limit_too_low';
  let nodeUse = 0;
  for (const s of e.metrics.nodeAvailable) {
    const total = e.metrics.nodeTotal.find((x) => x.labels.node === s.labels.node)?.v[0];
    if (!total) continue;
    for (const v of s.v) nodeUse = Math.max(nodeUse, 1 - v / total);
  }
  return nodeUse >= 0.95 ? 'node_pressure' : 'unknown';
}

/** KRR: limit = request = max(peak x 1.15, limit-at-OOM x 1.25); needs >= 100 points and >= 3 h. */
function krrLimit(e: Evidence, d: Diagnosis): number | undefined {
  const series = e.metrics.workingSet.filter((s) => s.labels.container === d.container);
  const points = series.reduce((n, s) => n + s.t.length, 0);
  const first = Math.min(...series.map((s) => s.t[0] ?? Number.POSITIVE_INFINITY));
  if (points < 100 || e.at - first < 3 * 3600) return undefined;
  let peak = 0;
  for (const s of series) for (const v of s.v) peak = Math.max(peak, v);
  const oomBump = d.kills.oomKills > 0 && d.facts.limitBytes ? d.facts.limitBytes * 1.25 : 0;
  return Math.max(peak * 1.15, oomBump);
}

async function evaluate(s: GeneratedScenario): Promise<Outcome> {
  const store = parseOpenMetrics(renderOpenMetrics(s.metrics), `${s.dirName}/metrics.om`);
  const sources = {
    cluster: createStaticLister(s.clusterObjects as KubeObject[], s.dirName),
    metrics: createStaticMetrics(store, s.dirName),
  };
  const at = Date.parse(s.scenarioYaml.at) / 1000;
  const target = await resolveTarget(sources.cluster, {
    name: s.scenarioYaml.request.service,
    namespace: s.scenarioYaml.request.namespace,
  });
  const evidence = await collectEvidence(sources, target, { at });
  const cpu0 = process.cpuUsage();
  const d = diagnose(evidence);
  const cpu = process.cpuUsage(cpu0);
  const expect = s.scenarioYaml.expect;
  const raisesLimit =
    d.recommendation !== undefined && d.recommendation.memoryLimitBytes > (d.facts.limitBytes ?? 0);
  const noLimitIncrease = expect.noLimitIncrease === true;
  const krr = krrLimit(evidence, d);
  return {
    name: s.dirName,
    variant: s.truth.variant,
    expected: expect.cause as Cause,
    acceptable: [expect.cause, ...(expect.alsoAcceptable ?? [])] as Cause[],
    ours: d.cause,
    robusta: robustaRule(evidence, d),
    recRange: expect.recommendation?.memoryLimitBytes,
    ourLimit: d.recommendation?.memoryLimitBytes,
    krrLimit: krr,
    noLimitIncrease,
    // Dangerous: a higher limit for node pressure, or an uncapped bump for a leak.
    ourDangerous:
      (expect.cause === 'node_pressure' &&
        (raisesLimit || d.actions.some((a) => a.kind === 'patch_memory_limit'))) ||
      (expect.cause === 'memory_leak' && raisesLimit) ||
      // Native memory that grows: a bigger limit as the first advice only delays the kill.
      (expect.cause === 'native_memory' && noLimitIncrease && d.actions[0]?.kind === 'patch_memory_limit'),
    krrDangerous:
      (expect.cause === 'node_pressure' || expect.cause === 'memory_leak') &&
      krr !== undefined &&
      krr > (d.facts.limitBytes ?? Number.POSITIVE_INFINITY),
    cpuMs: (cpu.user + cpu.system) / 1000,
  };
}

function pct(n: number, d: number): string {
  return d === 0 ? 'n/a' : `${((100 * n) / d).toFixed(1)}%`;
}

function report(outcomes: Outcome[]): string {
  const causes = CAUSES.filter((c) => c !== 'unknown');
  const lines: string[] = [];
  lines.push(`# Accuracy: ${outcomes.length} generated scenarios (seed ${seed})`, '');
  const top1 = outcomes.filter((o) => o.acceptable.includes(o.ours)).length;
  const robusta = outcomes.filter((o) => o.acceptable.includes(o.robusta)).length;
  lines.push('| | oom-bot | Robusta rule |', '| --- | --- | --- |');
  lines.push(
    `| top-1 cause | ${pct(top1, outcomes.length)} (${top1}/${outcomes.length}) | ${pct(robusta, outcomes.length)} (${robusta}/${outcomes.length}) |`,
  );
  const withRec = outcomes.filter((o) => o.recRange);
  const inRange = (l: number | undefined, r: { min: number; max: number }) =>
    l !== undefined && l >= r.min && l <= r.max;
  const ours = withRec.filter((o) => inRange(o.ourLimit, o.recRange as { min: number; max: number })).length;
  const krr = withRec.filter((o) => inRange(o.krrLimit, o.recRange as { min: number; max: number })).length;
  lines.push('', '| | oom-bot | KRR formula |', '| --- | --- | --- |');
  lines.push(
    `| recommendation in [true peak, 4x] | ${pct(ours, withRec.length)} (${ours}/${withRec.length}) | ${pct(krr, withRec.length)} (${krr}/${withRec.length}) |`,
  );
  const dangerOurs = outcomes.filter((o) => o.ourDangerous).length;
  const dangerKrr = outcomes.filter((o) => o.krrDangerous).length;
  lines.push(
    `| dangerous advice (higher limit for node pressure, uncapped bump for a leak) | ${dangerOurs} | ${dangerKrr} |`,
  );
  lines.push('', '## Confusion matrix (rows: expected, columns: oom-bot)', '');
  const cols = [...causes, 'unknown'] as Cause[];
  lines.push(`| expected \\ got | ${cols.join(' | ')} |`, `| --- | ${cols.map(() => '---').join(' | ')} |`);
  for (const row of causes) {
    const cells = cols.map((c) => outcomes.filter((o) => o.expected === row && o.ours === c).length);
    lines.push(`| ${row} | ${cells.join(' | ')} |`);
  }
  lines.push(
    '',
    '## Per cause',
    '',
    '| cause | precision | recall | n | rec. in range (ours / KRR) | dangerous (ours / KRR) |',
    '| --- | --- | --- | --- | --- | --- |',
  );
  for (const c of causes) {
    const predicted = outcomes.filter((o) => o.ours === c);
    const actual = outcomes.filter((o) => o.expected === c);
    const tp = predicted.filter((o) => o.acceptable.includes(c)).length;
    const found = actual.filter((o) => o.acceptable.includes(o.ours)).length;
    const recs = actual.filter((o) => o.recRange);
    const recOurs = recs.filter((o) =>
      inRange(o.ourLimit, o.recRange as { min: number; max: number }),
    ).length;
    const recKrr = recs.filter((o) => inRange(o.krrLimit, o.recRange as { min: number; max: number })).length;
    const recCell = recs.length === 0 ? 'n/a' : `${pct(recOurs, recs.length)} / ${pct(recKrr, recs.length)}`;
    const danger = `${actual.filter((o) => o.ourDangerous).length} / ${actual.filter((o) => o.krrDangerous).length}`;
    lines.push(
      `| ${c} | ${pct(tp, predicted.length)} | ${pct(found, actual.length)} | ${actual.length} | ${recCell} | ${danger} |`,
    );
  }
  const cpu = outcomes.map((o) => o.cpuMs).sort((a, b) => a - b);
  lines.push(
    '',
    `Engine CPU per diagnosis (pure diagnose() only): median ${cpu[Math.floor(cpu.length / 2)]?.toFixed(1)} ms, p95 ${cpu[Math.floor(cpu.length * 0.95)]?.toFixed(1)} ms.`,
  );
  const wrong = outcomes.filter(
    (o) =>
      !o.acceptable.includes(o.ours) || o.ourDangerous || (o.recRange && !inRange(o.ourLimit, o.recRange)),
  );
  if (wrong.length > 0) {
    lines.push('', '## Misses', '');
    for (const o of wrong) {
      const rec = o.recRange ? ` limit ${o.ourLimit ?? '-'} vs [${o.recRange.min}, ${o.recRange.max}]` : '';
      lines.push(
        `- ${o.name} (${o.variant}): expected ${o.expected}, got ${o.ours}${rec}${o.ourDangerous ? ' DANGEROUS' : ''}`,
      );
    }
  }
  return `${lines.join('\n')}\n`;
}

const outcomes: Outcome[] = [];
const started = Date.now();
for (const spec of corpusSpecs({ seed, count })) {
  const s = generateScenario(spec);
  const named = { ...s, dirName: `${String(outcomes.length + 1).padStart(3, '0')}-${s.name}` };
  outcomes.push(await evaluate(named));
  if (outcomes.length % 50 === 0)
    process.stderr.write(`${outcomes.length}/${count} in ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
}
const text = report(outcomes);
process.stdout.write(text);
if (values.out) writeFileSync(values.out, text);
