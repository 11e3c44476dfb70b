/**
 * The node diagnosis in Slack: the evidence (headline, overcommit, reserved share, evictions in
 * order), the pods ranked by working set and by usage above their request, and the advice
 * (requests to raise, workloads to spread, node headroom). Posted in a node incident's thread;
 * `oom-bot diagnose --node` prints the same messages. Pure.
 */
import type { KnownBlock } from '@slack/types';
import { bytes } from '../../domain/format.ts';
import type { NodeDiagnosis, RankedPod } from '../../domain/node-diagnosis.ts';
import { toQuantity } from '../../domain/quantity.ts';
import { BLOCK_IDS } from '../action-ids.ts';
import { escapeMrkdwn } from '../mrkdwn.ts';
import { context, header, listSections, message, section } from './builders.ts';
import type { SlackMessage } from './types.ts';

/** Pods listed per ranking; the rest are counted. */
const MAX_PODS = 8;
const MAX_LIST_SECTIONS = 4;

function podName(p: RankedPod): string {
  return escapeMrkdwn(`${p.namespace}/${p.name}`);
}

function requestText(p: RankedPod): string {
  return p.requestBytes === undefined ? 'no request' : `request ${toQuantity(p.requestBytes)}`;
}

function limitText(p: RankedPod): string {
  return p.limitBytes === undefined ? 'no limit' : `limit ${toQuantity(p.limitBytes)}`;
}

function ranked(pods: readonly RankedPod[], line: (p: RankedPod, i: number) => string): string[] {
  const lines = pods.slice(0, MAX_PODS).map(line);
  if (pods.length > MAX_PODS) lines.push(`_… and ${pods.length - MAX_PODS} more_`);
  return lines;
}

/** The first line of the node incident thread: what filled the node, with the evidence. */
function renderNodeEvidence(d: NodeDiagnosis, missing: readonly string[] = []): SlackMessage {
  const blocks: KnownBlock[] = [
    header(`Node diagnosis: ${d.node}`, BLOCK_IDS.nodeDiagnosis),
    section(`:bar_chart: *${escapeMrkdwn(d.headline)}*`),
    ...listSections(
      d.evidence.map((line) => `• ${escapeMrkdwn(line)}`),
      MAX_LIST_SECTIONS,
    ),
  ];
  if (missing.length > 0)
    blocks.push(context(`:warning: Read without ${missing.map(escapeMrkdwn).join('; ')}`));
  return message(`Node diagnosis for ${d.node}: ${d.headline}`, blocks);
}

/** The pods of the node, by working set and by usage above their request. */
function renderNodePods(d: NodeDiagnosis): SlackMessage {
  const byUse = ranked(
    d.pods,
    (p, i) =>
      `${i + 1}. *${podName(p)}* ${bytes(p.workingSetBytes)} (${requestText(p)}, ${limitText(p)}${p.qosClass ? `, ${p.qosClass}` : ''})`,
  );
  const byOver = ranked(
    d.overRequest,
    (p, i) =>
      `${i + 1}. *${podName(p)}* ${bytes(p.overRequestBytes)} ${p.requestBytes === undefined ? 'with no request at all' : `above its request of ${toQuantity(p.requestBytes)}`}`,
  );
  const blocks: KnownBlock[] = [
    header(`Pods on ${d.node}`, BLOCK_IDS.nodePods),
    section('*By working set*'),
    ...listSections(byUse.length > 0 ? byUse : ['_no pods running_'], MAX_LIST_SECTIONS),
    section('*By usage above their request*'),
    ...listSections(byOver.length > 0 ? byOver : ['_every pod is within its request_'], MAX_LIST_SECTIONS),
  ];
  if (d.unrequested.length > 0)
    blocks.push(
      context(
        `:ghost: Without a memory request (BestEffort or Burstable): ${d.unrequested.map(podName).join(', ')}`,
      ),
    );
  return message(`Pods on ${d.node}: ${d.pods.length}, ${d.overRequest.length} above their request`, blocks);
}

/** What to do: requests to raise, workloads to spread, node headroom. */
function renderNodeAdvice(d: NodeDiagnosis): SlackMessage {
  const lines = d.advice.map((a, i) => `${i + 1}. ${escapeMrkdwn(a)}`);
  return message(`What to do about ${d.node}: ${d.advice[0] ?? 'no advice'}`, [
    header('What to do', BLOCK_IDS.nodeAdvice),
    ...listSections(lines, MAX_LIST_SECTIONS),
  ]);
}

/** The node diagnosis as thread replies, in posting order. */
export function renderNodeThread(d: NodeDiagnosis, missing: readonly string[] = []): SlackMessage[] {
  return [renderNodeEvidence(d, missing), renderNodePods(d), renderNodeAdvice(d)];
}

/** The message `oom-bot diagnose --node` shows where a node incident would have its root. */
export function renderNodeRootPreview(d: NodeDiagnosis): SlackMessage {
  return message(`Node ${d.node}: ${d.headline}`, [
    section(`:warning: *node ${escapeMrkdwn(d.node)}* · *node memory pressure*\n${escapeMrkdwn(d.headline)}`),
  ]);
}
