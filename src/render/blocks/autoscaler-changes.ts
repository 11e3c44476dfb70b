/**
 * Thread messages of autoscaler changes: a written VPA bounds change (or its rollback) with who,
 * when, which VPA and container, the server's diff and a Rollback button; and the HPA memory
 * target an Apply (or its Rollback) moved with the request.
 */
import type { KnownBlock } from '@slack/types';
import { type DiffLine, formatDiff } from '../../contracts/object-diff.ts';
import type { ChangeRecord } from '../../contracts/plan-types.ts';
import { ACTION_IDS } from '../action-ids.ts';
import { fitMessage, LIMITS } from '../limits.ts';
import { codeBlock, escapeMrkdwn, truncate } from '../mrkdwn.ts';
import { button, section } from './builders.ts';
import { utc, workloadText } from './remediation.ts';
import type { SlackMessage } from './types.ts';

function rollbackButton(c: ChangeRecord, vpa: string): KnownBlock {
  const plain = (text: string) => ({ type: 'plain_text' as const, text });
  return {
    type: 'actions',
    elements: [
      {
        ...button('Rollback', ACTION_IDS.rollback, c.id, 'danger'),
        confirm: {
          title: plain('Roll back this VPA change?'),
          text: plain(
            truncate(
              `Put back the resourcePolicy of verticalpodautoscaler/${vpa} as it was before this change. A dry run goes first.`,
              LIMITS.confirmText,
            ),
          ),
          confirm: plain('Roll back'),
          deny: plain('Cancel'),
        },
      },
    ],
  };
}

export function renderVpaBoundsSet(c: ChangeRecord, diff: readonly DiffLine[]): SlackMessage {
  const vpa = c.vpaPolicy?.vpa ?? '?';
  const verb = c.rollbackOf ? 'Rolled back' : 'VPA bounds set';
  const what = c.rollbackOf
    ? 'its containerPolicies are back as they were'
    : `the memory bounds of container \`${escapeMrkdwn(c.container)}\` changed`;
  const text = [
    `:wrench: *${verb}* by <@${c.approver}> at ${utc(c.appliedAt)}: verticalpodautoscaler/${escapeMrkdwn(vpa)} of ${workloadText(c.target)}, ${what}.`,
    `Nothing rolls out now: the VPA applies its bounds to pods as they are created. The change is recorded in its \`oom-bot/*\` annotations (change ${escapeMrkdwn(c.id)}).`,
  ].join('\n');
  const blocks: KnownBlock[] = [
    section(text),
    section(codeBlock(formatDiff(diff) || '(no change)', LIMITS.sectionText)),
  ];
  if (!c.rollbackOf) blocks.push(rollbackButton(c, vpa));
  return { text: `${verb}: verticalpodautoscaler/${vpa}`, blocks: fitMessage(blocks) };
}

/** The HPA memory target moved with the memory change (or back with its rollback). */
export function renderHpaTargetMoved(
  c: ChangeRecord,
  hpa: string,
  move: { from: number; to: number },
): SlackMessage {
  const text = `:straight_ruler: HPA ${escapeMrkdwn(hpa)} of ${workloadText(c.target)}: memory target ${move.from}% → ${move.to}% of the request, with the ${c.rollbackOf ? 'rollback' : 'memory change'} approved by <@${c.approver}> (change ${escapeMrkdwn(c.id)}).`;
  return {
    text: `HPA ${hpa}: memory target ${move.from}% → ${move.to}%`,
    blocks: fitMessage([section(text)]),
  };
}
