/**
 * Pure renderers for the forecast: the digest a scheduled scan posts (one line per risk that is
 * new or worse), the thread message per workload (evidence, the action, Apply / Preview when a
 * plan is stored), and the answer to `/oom risks`. Everything from the cluster is escaped;
 * every message is fitted to the Block Kit limits.
 */
import type { ActionsBlock, Button, KnownBlock } from '@slack/types';
import type { Risk, RiskKind, RiskTarget } from '../../domain/forecast/types.ts';
import { clock, duration } from '../../domain/format.ts';
import { ACTION_IDS } from '../action-ids.ts';
import { fitMessage, LIMITS } from '../limits.ts';
import { codeBlock, escapeMrkdwn, joinLines, truncate } from '../mrkdwn.ts';
import { context, plain, section } from './builders.ts';
import type { SlackMessage } from './types.ts';

const RISK_LABEL: Record<RiskKind, string> = {
  recent_kills: 'OOM-killed recently, will be again',
  leak: 'leaking towards its limit',
  heap_above_limit: 'runtime heap does not fit the limit',
  near_limit: 'peaks at its limit',
  request_far_below_usage: 'request far below usage: evicted first',
};

const RISK_EMOJI: Record<RiskKind, string> = {
  recent_kills: ':skull:',
  leak: ':droplet:',
  heap_above_limit: ':gear:',
  near_limit: ':straight_ruler:',
  request_far_below_usage: ':wastebasket:',
};

/** Risks listed in one message; the rest are counted. */
const MAX_LINES = 20;

/** The risks a list shows, the most urgent first (the rest are counted). */
export function listedRisks(risks: Risk[]): Risk[] {
  return risks.slice(0, MAX_LINES);
}

function describeTarget(t: RiskTarget): string {
  const cluster = t.cluster ? `${t.cluster}:` : '';
  return `${cluster}${t.namespace}/${t.workload.kind.toLowerCase()}/${t.workload.name} (${t.container})`;
}

/** "in about 3.5 h", or nothing when no trend gives a time. */
function etaText(r: Risk): string {
  return r.etaSeconds === null ? '' : ` — next kill in about ${duration(r.etaSeconds)}`;
}

/** One line of a list: emoji, the container, what threatens it, when. */
function riskLine(r: Risk): string {
  return `${RISK_EMOJI[r.risk]} *${escapeMrkdwn(describeTarget(r.target))}*: ${RISK_LABEL[r.risk]}${etaText(r)}`;
}

function listBlocks(risks: Risk[], withDetail: boolean): KnownBlock[] {
  const shown = listedRisks(risks);
  const lines = shown.map((r) => {
    if (!withDetail) return riskLine(r);
    const why = r.evidence[0] ? `\n      ${escapeMrkdwn(r.evidence[0])}` : '';
    const act = r.actions[0] ? `\n      → ${escapeMrkdwn(r.actions[0].title)}` : '';
    return `${riskLine(r)}${why}${act}`;
  });
  const blocks: KnownBlock[] = [];
  // Several sections, each within the text limit.
  let chunk: string[] = [];
  const flush = () => {
    if (chunk.length > 0) blocks.push(section(joinLines(chunk, LIMITS.sectionText)));
    chunk = [];
  };
  for (const line of lines) {
    if ([...chunk, line].join('\n').length > LIMITS.sectionText) flush();
    chunk.push(line);
  }
  flush();
  if (risks.length > shown.length) blocks.push(context(`…and ${risks.length - shown.length} more`));
  return blocks;
}

/** The digest's root message: what is new or worse since the last scan, most urgent first. */
export function renderRiskDigest(risks: Risk[], opts: { at: number; scope?: string }): SlackMessage {
  const where = opts.scope ? ` in ${opts.scope}` : '';
  const title = `OOM forecast${where}: ${risks.length} new or worse risk${risks.length === 1 ? '' : 's'}`;
  const blocks: KnownBlock[] = [
    { type: 'header', text: plain(truncate(title, LIMITS.headerText)) },
    ...listBlocks(risks, false),
    context(`Scan at ${clock(opts.at)} · one thread per workload below, with the evidence and the fix`),
  ];
  return { text: title, blocks: fitMessage(blocks) };
}

/** Changes a button can apply: a memory patch through the same plan, approval and rollout watch. */
const APPLICABLE = new Set(['patch_memory_limit', 'adjust_requests']);

/** Whether a risk's fix is a change Apply can make (its entry then gets the buttons, once a plan is stored). */
export function offersApply(r: Risk): boolean {
  const action = r.actions[0];
  return action !== undefined && APPLICABLE.has(action.kind);
}

function applyButtons(r: Risk, planId: string): ActionsBlock | undefined {
  const action = r.actions[0];
  if (!action || !offersApply(r)) return undefined;
  const apply: Button = {
    type: 'button',
    text: plain('Apply'),
    action_id: ACTION_IDS.apply,
    value: planId,
    style: 'primary',
    confirm: {
      title: plain('Apply this memory change?'),
      text: {
        type: 'plain_text',
        text: truncate(
          `${describeTarget(r.target)}: ${action.title}. A dry run goes first; the rollout is watched and can be rolled back.`,
          LIMITS.confirmText,
        ),
      },
      confirm: plain('Apply'),
      deny: plain('Cancel'),
    },
  };
  const preview: Button = {
    type: 'button',
    text: plain('Preview'),
    action_id: ACTION_IDS.preview,
    value: planId,
  };
  return { type: 'actions', elements: [apply, preview] };
}

/** The thread message of one workload: the risk, every evidence line, the action and its buttons. */
export function renderRiskThread(r: Risk, opts: { planId?: string } = {}): SlackMessage {
  const blocks: KnownBlock[] = [section(riskLine(r))];
  if (r.evidence.length > 0)
    blocks.push(
      section(
        joinLines(
          r.evidence.map((e) => `• ${escapeMrkdwn(e)}`),
          LIMITS.sectionText,
        ),
      ),
    );
  const action = r.actions[0];
  if (action) {
    const detail = action.detail ? `\n${escapeMrkdwn(action.detail)}` : '';
    const command = action.command ? `\n${codeBlock(action.command, 2400)}` : '';
    blocks.push(section(`*Fix:* ${escapeMrkdwn(action.title)}${detail}${command}`));
    const buttons = opts.planId ? applyButtons(r, opts.planId) : undefined;
    if (buttons) blocks.push(buttons);
  }
  return {
    text: `${describeTarget(r.target)}: ${RISK_LABEL[r.risk]}${etaText(r)}`,
    blocks: fitMessage(blocks),
  };
}

/**
 * The answer to `/oom risks [namespace]`: every risk now, with its evidence and its fix in one
 * line each. `threaded`: the risks whose fix Apply can make get a thread reply each, with the
 * evidence, the command and Apply / Preview (one message cannot carry the same action id twice).
 */
export function renderRiskList(
  risks: Risk[],
  opts: { at: number; namespace?: string; threaded?: boolean },
): SlackMessage {
  const where = opts.namespace ? ` in ${opts.namespace}` : '';
  if (risks.length === 0) {
    const text = `No container${where} is at risk of an OOM kill (scan at ${clock(opts.at)}).`;
    return { text, blocks: [section(`:white_check_mark: ${escapeMrkdwn(text)}`)] };
  }
  const title = `${risks.length} container${risks.length === 1 ? '' : 's'} at risk of an OOM kill${where}`;
  const inThread =
    opts.threaded && listedRisks(risks).some(offersApply)
      ? ' · each memory fix is in the thread, with Apply / Preview'
      : '';
  const blocks: KnownBlock[] = [
    { type: 'header', text: plain(truncate(title, LIMITS.headerText)) },
    ...listBlocks(risks, true),
    context(
      `Scan at ${clock(opts.at)} · most urgent first · \`/oom <workload>\` diagnoses one in full${inThread}`,
    ),
  ];
  return { text: title, blocks: fitMessage(blocks) };
}
