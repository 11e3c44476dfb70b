/**
 * The small Block Kit builders every renderer uses: text objects, sections, headers, contexts,
 * buttons and list sections, each cut to Slack's limits, and a message fitted to them.
 */
import type {
  Button,
  ContextBlock,
  HeaderBlock,
  KnownBlock,
  MrkdwnElement,
  PlainTextElement,
  SectionBlock,
} from '@slack/types';
import { fitMessage, LIMITS } from '../limits.ts';
import { joinLines, truncate } from '../mrkdwn.ts';
import type { SlackMessage } from './types.ts';

export function mrkdwn(text: string): MrkdwnElement {
  return { type: 'mrkdwn', text };
}

export function plain(text: string): PlainTextElement {
  return { type: 'plain_text', text, emoji: true };
}

export function section(text: string, blockId?: string): SectionBlock {
  const block: SectionBlock = { type: 'section', text: mrkdwn(truncate(text, LIMITS.sectionText)) };
  if (blockId) block.block_id = blockId;
  return block;
}

export function header(text: string, blockId?: string): HeaderBlock {
  const block: HeaderBlock = { type: 'header', text: plain(truncate(text, LIMITS.headerText)) };
  if (blockId) block.block_id = blockId;
  return block;
}

export function context(...texts: string[]): ContextBlock {
  return {
    type: 'context',
    elements: texts.filter(Boolean).map((t) => mrkdwn(truncate(t, LIMITS.contextText))),
  };
}

export function button(text: string, actionId: string, value: string, style?: 'primary' | 'danger'): Button {
  const b: Button = { type: 'button', text: plain(text), action_id: actionId, value };
  if (style) b.style = style;
  return b;
}

/** Lines packed into as few sections as fit, at most `maxSections`, the tail counted. */
export function listSections(lines: readonly string[], maxSections: number): SectionBlock[] {
  const out: SectionBlock[] = [];
  let rest = [...lines];
  while (rest.length > 0 && out.length < maxSections) {
    const last = out.length === maxSections - 1;
    let take = 0;
    let used = 0;
    for (const line of rest) {
      const cost = line.length + (take > 0 ? 1 : 0);
      if (take > 0 && used + cost > LIMITS.sectionText) break;
      used += cost;
      take++;
    }
    if (last || take === rest.length) {
      out.push(section(joinLines(rest, LIMITS.sectionText)));
      rest = [];
    } else {
      out.push(section(joinLines(rest.slice(0, take), LIMITS.sectionText)));
      rest = rest.slice(take);
    }
  }
  return out;
}

export function message(text: string, blocks: KnownBlock[]): SlackMessage {
  return { text: truncate(text, 3000), blocks: fitMessage(blocks) };
}
