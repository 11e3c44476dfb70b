/**
 * The root message while a diagnosis runs: queued, gathering evidence, analysing (updated in
 * place), or failed with Re-diagnose and Dismiss.
 */
import type { KnownBlock } from '@slack/types';
import type { Target } from '../../domain/types.ts';
import { ACTION_IDS, BLOCK_IDS } from '../action-ids.ts';
import { escapeMrkdwn } from '../mrkdwn.ts';
import { button, context, message, section } from './builders.ts';
import { whereText, workloadText } from './naming.ts';
import type { SlackMessage } from './types.ts';

type ProgressStage = 'queued' | 'gathering' | 'analysing' | 'failed';

const STEPS = ['queued', 'gathering evidence', 'analysing', 'done'] as const;

const STAGE_TEXT: Record<ProgressStage, { emoji: string; text: string; step: number }> = {
  queued: { emoji: ':hourglass_flowing_sand:', text: 'queued', step: 0 },
  gathering: { emoji: ':mag:', text: 'gathering evidence', step: 1 },
  analysing: { emoji: ':brain:', text: 'analysing', step: 2 },
  failed: { emoji: ':x:', text: 'failed', step: -1 },
};

function stepLine(current: number): string {
  return STEPS.map((name, i) => {
    const mark = i < current ? ':white_check_mark:' : i === current ? ':arrow_forward:' : ':white_circle:';
    return `${mark} ${i === current ? `*${name}*` : name}`;
  }).join('  →  ');
}

/**
 * The root message while the work runs (posted at once, then updated in place). A failed run
 * gets Re-diagnose and Dismiss when the incident id is known.
 */
export function renderProgress(
  target: Target,
  stage: ProgressStage,
  detail?: string,
  opts: { incidentId?: string } = {},
): SlackMessage {
  const s = STAGE_TEXT[stage];
  const where = whereText(target);
  const detailText = detail ? escapeMrkdwn(detail) : undefined;
  if (stage === 'failed') {
    const blocks: KnownBlock[] = [
      section(
        `${s.emoji} *${where}* · diagnosis failed${detailText ? `\n${detailText}` : ''}`,
        BLOCK_IDS.progress,
      ),
      context(`${workloadText(target)} · nothing was changed`),
    ];
    if (opts.incidentId) {
      blocks.push({
        type: 'actions',
        block_id: BLOCK_IDS.rootActions,
        elements: [
          button('Re-diagnose', ACTION_IDS.rediagnose, opts.incidentId),
          button('Dismiss', ACTION_IDS.dismiss, opts.incidentId),
        ],
      });
    }
    return message(`${s.emoji} ${where}: diagnosis failed${detailText ? `: ${detailText}` : ''}`, blocks);
  }
  const blocks: KnownBlock[] = [
    section(`${s.emoji} *${where}* · ${s.text}…${detailText ? `\n${detailText}` : ''}`, BLOCK_IDS.progress),
    context(stepLine(s.step)),
    context(workloadText(target)),
  ];
  return message(`${s.emoji} ${where}: ${s.text}…`, blocks);
}
