/**
 * Pure renderers from a Diagnosis to Slack messages: the root message (verdict, key numbers,
 * buttons) and the thread (evidence, ruled-out causes, actions, chart
 * caption, missing data). Every string from the cluster is escaped; every message is fitted
 * to the KnownBlock Kit limits.
 */

import type { ActionsBlock, Button, KnownBlock, MrkdwnElement } from '@slack/types';
import type { Action } from '../../domain/action-types.ts';
import { describeCause } from '../../domain/diagnose.ts';
import { bytes, clock, duration, pct } from '../../domain/format.ts';
import { mayRaiseLimit } from '../../domain/limit-rule.ts';
import type { Cause, Diagnosis, PressureNodeFacts, Recommendation } from '../../domain/types.ts';
import { ACTION_IDS, BLOCK_IDS } from '../action-ids.ts';
import { LIMITS } from '../limits.ts';
import { andMore, codeBlock, escapeKeepingUserMentions, escapeMrkdwn, truncate } from '../mrkdwn.ts';
import { button, context, header, listSections, message, mrkdwn, plain, section } from './builders.ts';
import { targetName, whereText, workloadText } from './naming.ts';
import { rolloutUndoButton } from './rollout-button.ts';
import type { SlackMessage } from './types.ts';

interface RootOptions {
  /** Opaque id of the incident: the value of Re-diagnose and Dismiss. */
  incidentId: string;
  /** Opaque id of the stored remediation plan: the value of Apply, Preview, Create VPA, Scale out. */
  planId?: string;
  /** A status line, e.g. "Applied by <@U123>; watching the rollout". Escaped, user mentions kept. */
  status?: string;
  /** Repeated alerts folded into this incident. */
  counters?: { alerts: number; lastSeenAt?: number };
}

const CAUSE_EMOJI: Record<Cause, string> = {
  limit_too_low: ':straight_ruler:',
  memory_leak: ':droplet:',
  traffic_surge: ':chart_with_upwards_trend:',
  node_pressure: ':desktop_computer:',
  heap_misconfigured: ':gear:',
  native_memory: ':jigsaw:',
  no_oom: ':information_source:',
  deploy_regression: ':rewind:',
  unknown: ':grey_question:',
};

/** KnownBlock budget of a thread message for its list sections. */
const MAX_LIST_SECTIONS = 8;

function windowSeconds(d: Diagnosis): number {
  return Math.max(0, d.chart.window.end - d.chart.window.start);
}

/** The headline without its "ns/name: cause — " prefix. */
function verdictDetail(d: Diagnosis): string {
  let rest = d.headline;
  const prefix = `${d.target.namespace}/${targetName(d.target)}: `;
  if (rest.startsWith(prefix)) rest = rest.slice(prefix.length);
  const label = `${describeCause(d.cause)} — `;
  if (rest.startsWith(label)) rest = rest.slice(label.length);
  return rest;
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

// ---------------------------------------------------------------------------------------------
// Root message

function keyFields(d: Diagnosis): MrkdwnElement[] {
  const f = d.facts;
  const win = duration(windowSeconds(d));
  const fields: MrkdwnElement[] = [];
  const limit = f.limitBytes !== undefined ? bytes(f.limitBytes) : 'none';
  const request = f.requestBytes !== undefined ? bytes(f.requestBytes) : 'none';
  fields.push(mrkdwn(`*Limit / request*\n${limit} / ${request}`));
  if (f.peakBytes !== undefined) {
    const share = f.limitBytes ? ` (${pct(f.peakBytes / f.limitBytes)} of limit)` : '';
    fields.push(mrkdwn(`*Peak*\n${bytes(f.peakBytes)}${share}`));
  } else {
    fields.push(mrkdwn('*Peak*\nunknown'));
  }
  fields.push(mrkdwn(`*OOM kills (${win})*\n${d.kills.oomKills}`));
  fields.push(mrkdwn(`*Restarts (${win})*\n${f.restarts}`));
  if (d.kills.evictions > 0) fields.push(mrkdwn(`*Evictions (${win})*\n${d.kills.evictions}`));
  if (f.since !== undefined) fields.push(mrkdwn(`*Since*\n${clock(f.since, d.at)}`));
  fields.push(mrkdwn(`*Pods*\n${f.podCount}`));
  const rec = d.recommendation;
  if (rec && mayRaiseLimit(d.cause)) {
    const replay = rec.replay ? `\n_what-if: ${plural(rec.replay.projectedKills, 'kill')}_` : '';
    fields.push(mrkdwn(`*Proposed*\n${rec.memoryLimit} limit / ${rec.memoryRequest} request${replay}`));
  }
  return fields;
}

function changeLines(rec: Recommendation): string[] {
  const from = (b: number | undefined) => (b === undefined ? 'unset' : bytes(b));
  return [
    `memory limit ${from(rec.currentLimitBytes)} → ${rec.memoryLimit}`,
    `memory request ${from(rec.currentRequestBytes)} → ${rec.memoryRequest}`,
  ];
}

function applyButton(d: Diagnosis, rec: Recommendation, planId: string): Button {
  const w = d.target.workload;
  const text = [
    `Container ${rec.container} of ${w.kind.toLowerCase()}/${w.name} in ${d.target.namespace}:`,
    ...changeLines(rec),
    'A dry run goes first; the rollout is watched and can be rolled back.',
  ].join('\n');
  return {
    ...button('Apply', ACTION_IDS.apply, planId, 'primary'),
    confirm: {
      title: plain('Apply this memory change?'),
      text: { type: 'plain_text', text: truncate(text, LIMITS.confirmText) },
      confirm: plain('Apply'),
      deny: plain('Cancel'),
    },
  };
}

function hasAction(d: Diagnosis, kind: Action['kind']): boolean {
  return d.actions.some((a) => a.kind === kind);
}

/** The buttons that fit the cause. */
function rootButtons(d: Diagnosis, opts: RootOptions): ActionsBlock {
  const elements: Button[] = [];
  const plan = opts.planId;
  const rec = d.recommendation;
  // Apply only where the plan can patch a pod template (none for a bare Pod or a Job)
  if (plan && rec && mayRaiseLimit(d.cause) && d.target.podTemplate) {
    elements.push(applyButton(d, rec, plan));
    elements.push(button('Preview', ACTION_IDS.preview, plan));
  }
  if (plan && hasAction(d, 'vpa_policy') && mayRaiseLimit(d.cause))
    elements.push(button('Set VPA bounds', ACTION_IDS.vpaPolicy, plan));
  // never Create VPA beside a VPA that exists (the action is only planned without one)
  if (plan && hasAction(d, 'create_vpa') && !hasAction(d, 'vpa_policy'))
    elements.push(button('Create VPA', ACTION_IDS.createVpa, plan));
  if (plan && hasAction(d, 'scale_out')) elements.push(button('Scale out', ACTION_IDS.scaleOut, plan));
  const undo = plan ? rolloutUndoButton(d, plan) : undefined;
  if (undo) elements.unshift(undo);
  elements.push(button('Re-diagnose', ACTION_IDS.rediagnose, opts.incidentId));
  elements.push(button('Dismiss', ACTION_IDS.dismiss, opts.incidentId));
  return { type: 'actions', block_id: BLOCK_IDS.rootActions, elements };
}

/** The root message: the verdict in one line, the key numbers, and the buttons. */
export function renderRoot(d: Diagnosis, opts: RootOptions): SlackMessage {
  const emoji = CAUSE_EMOJI[d.cause];
  const label = describeCause(d.cause);
  const detail = escapeMrkdwn(verdictDetail(d));
  const blocks: KnownBlock[] = [
    section(`${emoji} *${whereText(d.target)}* · *${label}*\n${detail}`, BLOCK_IDS.rootVerdict),
    { type: 'section', fields: keyFields(d) },
    context(
      `${workloadText(d.target)} · container ${escapeMrkdwn(d.container)} · confidence ${pct(d.confidence)} · diagnosed ${clock(d.at)}`,
      `incident ${escapeMrkdwn(opts.incidentId)}`,
    ),
  ];
  const c = opts.counters;
  if (c && c.alerts > 0) {
    const last = c.lastSeenAt !== undefined ? ` · last ${clock(c.lastSeenAt, d.at)}` : '';
    blocks.push(context(`:repeat: ${plural(c.alerts, 'alert')} folded into this incident${last}`));
  }
  if (opts.status) blocks.push(context(`:information_source: ${escapeKeepingUserMentions(opts.status)}`));
  blocks.push(rootButtons(d, opts));
  const numbers = [
    d.facts.limitBytes !== undefined ? `limit ${bytes(d.facts.limitBytes)}` : undefined,
    d.facts.peakBytes !== undefined ? `peak ${bytes(d.facts.peakBytes)}` : undefined,
    `${plural(d.kills.oomKills, 'OOM kill')} in ${duration(windowSeconds(d))}`,
  ]
    .filter(Boolean)
    .join(', ');
  return message(`${emoji} ${escapeMrkdwn(d.headline)} (${numbers})`, blocks);
}

// ---------------------------------------------------------------------------------------------
// Thread

function killLine(d: Diagnosis): string {
  const k = d.kills;
  const parts = [
    plural(k.oomKills, 'OOM kill'),
    plural(k.otherRestarts, 'other restart'),
    plural(k.evictions, 'eviction'),
  ];
  if (k.exitCodes.length > 0) parts.push(`exit ${k.exitCodes.join(', ')}`);
  if (k.firstKillAt !== undefined) parts.push(`first ${clock(k.firstKillAt, d.at)}`);
  if (k.lastKillAt !== undefined) parts.push(`last ${clock(k.lastKillAt, d.at)}`);
  return `In the last ${duration(windowSeconds(d))}: ${parts.join(' · ')}`;
}

/** A Slack link to a message in a channel (the archives form Slack resolves for members). */
function messageLink(channel: string, ts: string): string {
  return `https://slack.com/archives/${channel}/p${ts.replace('.', '')}`;
}

/** Which node starved the workload, and where its own diagnosis is. */
function pressureNodeLine(p: PressureNodeFacts): string {
  const node = escapeMrkdwn(p.name);
  if (!p.incident)
    return `:link: Node *${node}* was under memory pressure: \`oom-bot diagnose --node ${node}\` shows which pods filled it.`;
  return `:link: Node *${node}* was under memory pressure: its node incident in <#${p.incident.channel}> diagnoses the pods that filled it (<${messageLink(p.incident.channel, p.incident.threadTs)}|thread>).`;
}

function renderEvidence(d: Diagnosis): SlackMessage {
  const lines = d.evidence.map((line) => `• ${escapeMrkdwn(line)}`);
  if (lines.length === 0) lines.push('_No evidence line stood out._');
  const blocks: KnownBlock[] = [
    header(`Evidence: ${describeCause(d.cause)} (confidence ${pct(d.confidence)})`, BLOCK_IDS.evidence),
    ...listSections(lines, MAX_LIST_SECTIONS),
    context(killLine(d)),
  ];
  if (d.pressureNode) blocks.push(context(pressureNodeLine(d.pressureNode)));
  return message(
    `Evidence for ${whereText(d.target)}: ${describeCause(d.cause)}, ${plural(d.evidence.length, 'finding')}`,
    blocks,
  );
}

function renderRejected(d: Diagnosis): SlackMessage {
  const score = new Map(d.ranking.map((r) => [r.cause, r.score]));
  const lines = d.rejected.map((r) => {
    const s = score.get(r.cause);
    const scoreText = s !== undefined ? ` (score ${s.toFixed(2)})` : '';
    return `• *${describeCause(r.cause)}*${scoreText}: ${escapeMrkdwn(r.reason)}`;
  });
  if (lines.length === 0) lines.push('_No other cause was considered._');
  return message(`Ruled out for ${whereText(d.target)}: ${plural(d.rejected.length, 'cause')}`, [
    header('Ruled out', BLOCK_IDS.rejected),
    ...listSections(lines, MAX_LIST_SECTIONS),
  ]);
}

function recommendationBlocks(d: Diagnosis, rec: Recommendation): KnownBlock[] {
  const blocks: KnownBlock[] = [
    section(
      [
        `*Recommendation* for container \`${escapeMrkdwn(rec.container)}\`: ${changeLines(rec).join(', ')}`,
        `_${escapeMrkdwn(rec.rationale)}_`,
      ].join('\n'),
    ),
  ];
  const r = rec.replay;
  if (r) {
    const censored =
      r.censoredSamples > 0 && rec.currentLimitBytes !== undefined
        ? ` ${plural(r.censoredSamples, 'sample')} sat at the old limit, so real demand there is only known to be at least ${bytes(rec.currentLimitBytes)}.`
        : '';
    blocks.push(
      context(
        `:rewind: *What-if:* replaying the last ${duration(windowSeconds(d))} against ${rec.memoryLimit}: ` +
          `*${plural(r.projectedKills, 'kill')}* instead of ${r.observedKills}, ` +
          `minimum headroom ${bytes(Math.max(0, r.minHeadroomBytes))}.${censored}`,
      ),
    );
  }
  return blocks;
}

function actionBlocks(actions: readonly Action[], budget: number): KnownBlock[] {
  const blocks: KnownBlock[] = [];
  for (let i = 0; i < actions.length; i++) {
    const a = actions[i] as Action;
    const needed = a.command ? 2 : 1;
    if (blocks.length + needed > budget - 1) {
      blocks.push(context(`_${andMore(actions.length - i)} action(s)_`));
      break;
    }
    const detail = a.detail ? `\n${escapeMrkdwn(a.detail)}` : '';
    blocks.push(section(`*${i + 1}. ${escapeMrkdwn(a.title)}*${detail}`));
    if (a.command) blocks.push(section(codeBlock(a.command, LIMITS.sectionText)));
  }
  return blocks;
}

function renderActions(d: Diagnosis): SlackMessage {
  const blocks: KnownBlock[] = [
    header('What to do', BLOCK_IDS.actions),
    section(`:point_right: *Investigate first:* ${escapeMrkdwn(d.investigateFirst)}`),
  ];
  if (d.recommendation && mayRaiseLimit(d.cause)) {
    blocks.push(...recommendationBlocks(d, d.recommendation));
  }
  blocks.push({ type: 'divider' });
  blocks.push(...actionBlocks(d.actions, LIMITS.blocksPerMessage - blocks.length));
  if (d.actions.length === 0) blocks.push(section('_No action proposed._'));
  const first = d.actions[0];
  const firstText = first ? `: 1. ${escapeMrkdwn(first.title)}` : '';
  return message(`What to do about ${whereText(d.target)}${firstText}`, blocks);
}

/** The caption of the chart, which is uploaded separately as a file. */
function renderChartCaption(d: Diagnosis): SlackMessage {
  const c = d.chart;
  const parts = [
    c.pods.length > 0
      ? `working set of ${plural(c.pods.length, 'pod')}`
      : 'no working-set samples in this window',
    c.limitBytes !== undefined ? `the ${bytes(c.limitBytes)} limit` : 'no limit',
  ];
  if (c.requestBytes !== undefined) parts.push(`the ${bytes(c.requestBytes)} request`);
  const marks: string[] = [];
  const ooms = c.kills.filter((k) => k.oom).length;
  const others = c.kills.length - ooms;
  if (ooms > 0) marks.push(`red marks: ${plural(ooms, 'OOM kill')}`);
  if (others > 0) marks.push(`grey marks: ${plural(others, 'other restart')}`);
  if (c.proposedLimitBytes !== undefined) marks.push(`dashed: proposed ${bytes(c.proposedLimitBytes)}`);
  if (c.traffic) marks.push(`thin line, right axis: ${escapeMrkdwn(c.traffic.label)}`);
  const text =
    `:bar_chart: *Memory over the last ${duration(windowSeconds(d))}*: ${parts.join(', ')}` +
    `${marks.length > 0 ? `; ${marks.join('; ')}` : ''}. Times in UTC.`;
  return message(`Memory chart for ${whereText(d.target)}`, [section(text, BLOCK_IDS.chart)]);
}

function renderMissing(d: Diagnosis): SlackMessage {
  const lines = d.missing.map((m) => `• ${escapeMrkdwn(m)}`);
  return message(`Missing data for ${whereText(d.target)}: ${d.missing.length} source(s)`, [
    header('Missing data', BLOCK_IDS.missing),
    ...listSections(lines, MAX_LIST_SECTIONS),
    context(
      `The diagnosis ran without ${d.missing.length === 1 ? 'it' : 'them'}, so its confidence is lower (${pct(d.confidence)}). Restore and press Re-diagnose.`,
    ),
  ]);
}

/**
 * The thread under the root message, in posting order: evidence, ruled-out causes, what to do,
 * the chart caption (block_id {@link BLOCK_IDS.chart}: post the PNG with it), missing data.
 */
export function renderThread(d: Diagnosis): SlackMessage[] {
  const thread = [renderEvidence(d), renderRejected(d), renderActions(d), renderChartCaption(d)];
  if (d.missing.length > 0) thread.push(renderMissing(d));
  return thread;
}
