/**
 * The thread message of a written VPA bounds change (or of its rollback): who, when, which VPA
 * and container, the diff the server reported, and a Rollback button on the change.
 */
import type { KnownBlock } from '@slack/types';
import { type DiffLine, formatDiff } from '../../remediation/patch.ts';
import type { ChangeRecord } from '../../remediation/plan-types.ts';
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
