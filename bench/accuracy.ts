/**
 * Accuracy benchmark: generated incidents (seeded, varied, adversarial) diagnosed by the bot and by
 * two baselines on the same data: Robusta's two-threshold rule and KRR's limit formula.
 * Prints the confusion matrix, per-cause precision and recall, per-cause top-1, recommendation
 * success (limit within [true peak demand, 4x it]) and dangerous advice, each beside the baselines.
 *
 * Three corpora: `core` (the six older causes, `--count`, unchanged for a seed), `rollout`
 * (deploy_regression and the rollouts that confound older causes, `--rollout-count`) and `causes`
 * (the cause families: node pressure whose killed workload is the victim, a rollout with a traffic
 * surge, a rollout that only lowered the limit, a JVM with direct buffers growing under a small
 * -Xmx, image and config regressions, a CronJob whose runs grow until the latest is killed, a
 * regression in a sidecar's image with the sidecar killed; `--causes-count`). `--families` picks
 * one, or `all`. The cause-family report also has a table per case (cause and variant).
 *
 *   node bench/accuracy.ts [--count 300] [--rollout-count 60] [--causes-count 60] [--seed 42]
 *     [--families all|core|rollout|causes] [--out FILE.md]
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { diagnose } from '../src/domain/diagnose.ts';
import { bytes } from '../src/domain/format.ts';
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
    'rollout-count': { type: 'string', default: '60' },
    'causes-count': { type: 'string', default: '60' },
    families: { type: 'string', default: 'all' },
    seed: { type: 'string', default: '42' },
    out: { type: 'string' },
  },
});
const count = Number(values.count);
const rolloutCount = Number(values['rollout-count']);
const causesCount = Number(values['causes-count']);
const families = values.families;
if (families !== 'all' && families !== 'core' && families !== 'rollout' && families !== 'causes')
  throw new Error(`--families: all, core, rollout or causes, not ${families}`);
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
  /** The ground truth says the workload died on a node another pod starved. */
  victim: boolean;
  /** limit-lowered rollouts: the evidence names the previous revision's limit. */
  oldLimitNamed?: boolean;
  /** Batch runs: the diagnosis targets the CronJob, as the ground truth's workload kind says. */
  batchTargeted?: boolean;
  /** Sidecar-image regressions: the rollout names the sidecar's old and new image, and roll back is the first advice. */
  sidecarRollout?: { named: boolean; rollbackFirst: boolean };
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

/** Whether an action is a memory patch to a bigger limit than the current one. */
function raisedLimit(d: Diagnosis, action: Diagnosis['actions'][number] | undefined): boolean {
  const limit = d.facts.limitBytes ?? 0;
  return action?.kind === 'patch_memory_limit' && (action.memoryPatch?.limitBytes ?? 0) > limit;
}

/**
 * The node-pressure victim (a workload killed or evicted on a node another pod starved, as the
 * generator's ground truth records): a bigger limit for the victim is dangerous, it only makes
 * the node's overcommit worse.
 */
function isNodePressureVictim(s: GeneratedScenario): boolean {
  return s.truth.nodePressureVictim === true;
}

/** Advice that makes the incident worse or hides it. */
function isDangerous(s: GeneratedScenario, d: Diagnosis, raisesLimit: boolean): boolean {
  const expected = s.scenarioYaml.expect.cause;
  if (expected === 'node_pressure')
    return raisesLimit || d.actions.some((a) => a.kind === 'patch_memory_limit');
  if (expected === 'memory_leak') return raisesLimit;
  // Native memory that grows: a bigger limit as the first advice only delays the kill.
  if (expected === 'native_memory' && s.scenarioYaml.expect.noLimitIncrease === true)
    return d.actions[0]?.kind === 'patch_memory_limit';
  // A regression is rolled back; a bigger limit first buries the new build's cost.
  if (expected === 'deploy_regression') return raisedLimit(d, d.actions[0]);
  if (isNodePressureVictim(s)) return raisesLimit || d.actions.some((a) => raisedLimit(d, a));
  return false;
}

function krrIsDangerous(s: GeneratedScenario, krr: number | undefined, limit: number | undefined): boolean {
  const expected = s.scenarioYaml.expect.cause;
  const harmful =
    expected === 'node_pressure' ||
    expected === 'memory_leak' ||
    expected === 'deploy_regression' ||
    isNodePressureVictim(s);
  return harmful && krr !== undefined && krr > (limit ?? Number.POSITIVE_INFINITY);
}

/** Whether the evidence names the limit the previous revision had, as the rollout lowered it. */
function namesOldLimit(s: GeneratedScenario, d: Diagnosis): boolean | undefined {
  const before = s.truth.rollout?.limitBeforeBytes;
  if (before === undefined) return undefined;
  const text = d.evidence.join('\n');
  return /lowered the limit/.test(text) && text.includes(bytes(before));
}

/** A sidecar-image regression: whether the rollout names the sidecar's image change and roll back comes first. */
function judgeSidecarRollout(s: GeneratedScenario, d: Diagnosis): Outcome['sidecarRollout'] {
  if (s.truth.variant !== 'sidecar-image') return undefined;
  const rev = (docKind: string, name: string) =>
    s.clusterObjects.find(
      (o) => o.kind === docKind && (o.metadata as { name?: string } | undefined)?.name === name,
    );
  const images = (rsName: string): string[] => {
    const rs = rev('ReplicaSet', rsName) as
      | { spec?: { template?: { spec?: { containers?: Array<{ name: string; image: string }> } } } }
      | undefined;
    return (rs?.spec?.template?.spec?.containers ?? [])
      .filter((c) => c.name === s.spec.container)
      .map((c) => c.image);
  };
  const r = d.rollout;
  const named =
    r !== undefined &&
    images(r.from.replicaSet).some((i) => r.from.images.includes(i)) &&
    images(r.to.replicaSet).some((i) => r.to.images.includes(i)) &&
    !images(r.from.replicaSet).some((i) => r.to.images.includes(i));
  return { named, rollbackFirst: d.actions[0]?.kind === 'rollback_deploy' };
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
    victim: isNodePressureVictim(s),
    ourDangerous: isDangerous(s, d, raisesLimit),
    krrDangerous: krrIsDangerous(s, krr, d.facts.limitBytes),
    oldLimitNamed: namesOldLimit(s, d),
    ...(s.spec.workloadKind === 'CronJob' ? { batchTargeted: d.target.workload.kind === 'CronJob' } : {}),
    ...(s.truth.variant === 'sidecar-image' ? { sidecarRollout: judgeSidecarRollout(s, d) } : {}),
    cpuMs: (cpu.user + cpu.system) / 1000,
  };
}

function pct(n: number, d: number): string {
  return d === 0 ? 'n/a' : `${((100 * n) / d).toFixed(1)}%`;
}

type Range = { min: number; max: number };

function inRange(l: number | undefined, r: Range): boolean {
  return l !== undefined && l >= r.min && l <= r.max;
}

/** Per expected cause: top-1, recommendation in range and dangerous advice, beside the baselines. */
function perCauseTable(outcomes: Outcome[]): string[] {
  return groupedTable('cause', outcomes, (o) => o.expected);
}

/** Per case (expected cause and the generator's variant): the same columns, one row a case. */
function perCaseTable(outcomes: Outcome[]): string[] {
  return groupedTable('case', outcomes, (o) => `${o.expected} (${o.variant})`);
}

/** One row per group, in the order groups first appear: oom-bot beside Robusta's rule and KRR's formula. */
function groupedTable(heading: string, outcomes: Outcome[], groupOf: (o: Outcome) => string): string[] {
  const lines = [
    `| ${heading} | n | top-1 oom-bot | top-1 Robusta | rec. in range oom-bot | rec. in range KRR | dangerous oom-bot | dangerous KRR |`,
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  const groups = [...new Set(outcomes.map(groupOf))];
  for (const g of groups) {
    const rows = outcomes.filter((o) => groupOf(o) === g);
    const top1 = rows.filter((o) => o.acceptable.includes(o.ours)).length;
    const rob = rows.filter((o) => o.acceptable.includes(o.robusta)).length;
    const withRec = rows.filter((o) => o.recRange);
    const ours = withRec.filter((o) => inRange(o.ourLimit, o.recRange as Range)).length;
    const krr = withRec.filter((o) => inRange(o.krrLimit, o.recRange as Range)).length;
    const rec = (k: number) =>
      withRec.length === 0 ? 'n/a' : `${pct(k, withRec.length)} (${k}/${withRec.length})`;
    lines.push(
      `| ${g} | ${rows.length} | ${pct(top1, rows.length)} | ${pct(rob, rows.length)} | ${rec(ours)} | ${rec(krr)} | ${rows.filter((o) => o.ourDangerous).length} | ${rows.filter((o) => o.krrDangerous).length} |`,
    );
  }
  return lines;
}

function report(title: string, outcomes: Outcome[]): string {
  const causes = CAUSES.filter((c) => c !== 'unknown');
  const lines: string[] = [];
  lines.push(`# Accuracy: ${title}, ${outcomes.length} generated scenarios (seed ${seed})`, '');
  const top1 = outcomes.filter((o) => o.acceptable.includes(o.ours)).length;
  const robusta = outcomes.filter((o) => o.acceptable.includes(o.robusta)).length;
  lines.push('| | oom-bot | Robusta rule |', '| --- | --- | --- |');
  lines.push(
    `| top-1 cause | ${pct(top1, outcomes.length)} (${top1}/${outcomes.length}) | ${pct(robusta, outcomes.length)} (${robusta}/${outcomes.length}) |`,
  );
  const withRec = outcomes.filter((o) => o.recRange);
  const ours = withRec.filter((o) => inRange(o.ourLimit, o.recRange as Range)).length;
  const krr = withRec.filter((o) => inRange(o.krrLimit, o.recRange as Range)).length;
  lines.push('', '| | oom-bot | KRR formula |', '| --- | --- | --- |');
  lines.push(
    `| recommendation in [true peak, 4x] | ${pct(ours, withRec.length)} (${ours}/${withRec.length}) | ${pct(krr, withRec.length)} (${krr}/${withRec.length}) |`,
  );
  const dangerOurs = outcomes.filter((o) => o.ourDangerous).length;
  const dangerKrr = outcomes.filter((o) => o.krrDangerous).length;
  lines.push(
    `| dangerous advice (higher limit for node pressure or its victim, uncapped bump for a leak, bigger limit first for a regression) | ${dangerOurs} | ${dangerKrr} |`,
  );
  const victims = outcomes.filter((o) => o.victim);
  if (victims.length > 0)
    lines.push(
      '',
      `Node-pressure victims (killed or evicted on a node a neighbour starved): ${victims.length}; a bigger limit advised by oom-bot for ${victims.filter((o) => o.ourDangerous).length}, by KRR for ${victims.filter((o) => o.krrDangerous).length}.`,
    );
  const lowered = outcomes.filter((o) => o.oldLimitNamed !== undefined);
  if (lowered.length > 0) {
    const named = lowered.filter((o) => o.oldLimitNamed).length;
    lines.push(
      '',
      `Rollouts that only lowered the limit: the old limit named in ${named}/${lowered.length}.`,
    );
  }
  const batch = outcomes.filter((o) => o.batchTargeted !== undefined);
  if (batch.length > 0)
    lines.push(
      '',
      `Batch runs (a CronJob's runs growing): the CronJob is the target in ${batch.filter((o) => o.batchTargeted).length}/${batch.length}; called memory_leak in ${batch.filter((o) => o.ours === 'memory_leak').length}/${batch.length}.`,
    );
  const sidecar = outcomes.filter((o) => o.sidecarRollout !== undefined);
  if (sidecar.length > 0)
    lines.push(
      '',
      `Sidecar-image regressions: the rollout names the sidecar's old and new image in ${sidecar.filter((o) => o.sidecarRollout?.named).length}/${sidecar.length}; roll back is the first advice in ${sidecar.filter((o) => o.sidecarRollout?.rollbackFirst).length}/${sidecar.length}.`,
    );
  lines.push('', '## Per cause (rows: expected cause)', '', ...perCauseTable(outcomes));
  if (outcomes.some((o) => o.variant !== outcomes[0]?.variant))
    lines.push('', '## Per case (rows: expected cause and variant)', '', ...perCaseTable(outcomes));
  lines.push('', '## Confusion matrix (rows: expected, columns: oom-bot)', '');
  const cols = [...causes, 'unknown'] as Cause[];
  const rowsOf = causes.filter((c) => outcomes.some((o) => o.expected === c));
  lines.push(`| expected \\ got | ${cols.join(' | ')} |`, `| --- | ${cols.map(() => '---').join(' | ')} |`);
  for (const row of rowsOf) {
    const cells = cols.map((c) => outcomes.filter((o) => o.expected === row && o.ours === c).length);
    lines.push(`| ${row} | ${cells.join(' | ')} |`);
  }
  lines.push(
    '',
    '## Precision and recall',
    '',
    '| cause | precision | recall | n |',
    '| --- | --- | --- | --- |',
  );
  for (const c of rowsOf) {
    const predicted = outcomes.filter((o) => o.ours === c);
    const actual = outcomes.filter((o) => o.expected === c);
    const tp = predicted.filter((o) => o.acceptable.includes(c)).length;
    const found = actual.filter((o) => o.acceptable.includes(o.ours)).length;
    lines.push(`| ${c} | ${pct(tp, predicted.length)} | ${pct(found, actual.length)} | ${actual.length} |`);
  }
  const cpu = outcomes.map((o) => o.cpuMs).sort((a, b) => a - b);
  lines.push(
    '',
    `Engine CPU per diagnosis (pure diagnose() only): median ${cpu[Math.floor(cpu.length / 2)]?.toFixed(1)} ms, p95 ${cpu[Math.floor(cpu.length * 0.95)]?.toFixed(1)} ms.`,
  );
  const wrong = outcomes.filter(
    (o) =>
      !o.acceptable.includes(o.ours) ||
      o.ourDangerous ||
      o.oldLimitNamed === false ||
      (o.recRange && !inRange(o.ourLimit, o.recRange)),
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

async function runCorpus(which: 'core' | 'rollout' | 'causes', n: number): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  const started = Date.now();
  for (const spec of corpusSpecs({ seed, count: n, families: which })) {
    const s = generateScenario(spec);
    const named = { ...s, dirName: `${String(outcomes.length + 1).padStart(3, '0')}-${s.name}` };
    outcomes.push(await evaluate(named));
    if (outcomes.length % 50 === 0)
      process.stderr.write(
        `${which}: ${outcomes.length}/${n} in ${((Date.now() - started) / 1000).toFixed(0)} s\n`,
      );
  }
  return outcomes;
}

const parts: string[] = [];
const wants = (f: 'core' | 'rollout' | 'causes') => families === 'all' || families === f;
if (wants('core')) parts.push(report('the six older causes', await runCorpus('core', count)));
if (wants('rollout'))
  parts.push(
    report('rollouts (deploy_regression and its confounders)', await runCorpus('rollout', rolloutCount)),
  );
if (wants('causes'))
  parts.push(
    report(
      'cause families (node-pressure victim, rollout with surge, limit-only rollout, JVM direct buffers, image and config regressions, batch growth, sidecar-image regression)',
      await runCorpus('causes', causesCount),
    ),
  );
const text = parts.join('\n');
process.stdout.write(text);
if (values.out) writeFileSync(values.out, text);
