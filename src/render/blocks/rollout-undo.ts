/**
 * The thread message of a written rollout undo (or of its own rollback): who, when, which
 * revision's template, the diff the server reported, and a Rollback button on the undo.
 */
import type { KnownBlock } from '@slack/types';
import { type DiffLine, formatDiff } from '../../contracts/object-diff.ts';
import type { ChangeRecord } from '../../contracts/plan-types.ts';
import { duration } from '../../domain/format.ts';
import { ACTION_IDS } from '../action-ids.ts';
import { fitMessage, LIMITS } from '../limits.ts';
import { codeBlock, escapeMrkdwn, truncate } from '../mrkdwn.ts';
import { utc, workloadText } from './remediation.ts';
import type { SlackMessage } from './types.ts';

function section(text: string): KnownBlock {
  return { type: 'section', text: { type: 'mrkdwn', text: truncate(text, LIMITS.sectionText) } };
}

function rollbackButton(c: ChangeRecord): KnownBlock {
  const plain = (text: string) => ({ type: 'plain_text' as const, text });
  return {
    type: 'actions',
    elements: [
      {
        type: 'button',
        text: plain('Rollback'),
        action_id: ACTION_IDS.rollback,
        value: c.id,
        style: 'danger',
        confirm: {
          title: plain('Undo this rollback?'),
          text: plain(
            truncate(
              `Put back the pod template of ${c.target.kind.toLowerCase()}/${c.target.name} that the rollback replaced. A dry run goes first.`,
              LIMITS.confirmText,
            ),
          ),
          confirm: plain('Undo'),
          deny: plain('Cancel'),
        },
      },
    ],
  };
}

export function renderRolloutUndone(
  c: ChangeRecord,
  diff: readonly DiffLine[],
  rolloutTimeoutMs: number,
): SlackMessage {
  const what = c.rollbackOf
    ? 'the pod template it replaced is back'
    : `pod template of revision ${c.template?.revision ?? '?'} restored`;
  const verb = c.rollbackOf ? 'Rollback undone' : 'Rolled back';
  const text = [
    `:rewind: *${verb}* by <@${c.approver}> at ${utc(c.appliedAt)}: ${workloadText(c.target)}, ${what}.`,
    `The change is recorded in the \`oom-bot/*\` annotations (change ${escapeMrkdwn(c.id)}). Watching the rollout (up to ${duration(rolloutTimeoutMs / 1000)}).`,
  ].join('\n');
  const blocks: KnownBlock[] = [
    section(text),
    section(codeBlock(formatDiff(diff) || '(no change)', LIMITS.sectionText)),
  ];
  if (!c.rollbackOf) blocks.push(rollbackButton(c));
  return { text: `${verb} ${c.target.kind}/${c.target.name}`, blocks: fitMessage(blocks) };
}
