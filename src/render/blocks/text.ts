/**
 * Plain-text rendering of Slack messages (`--output text`): what Slack would show, for a
 * terminal or a log. Headers, sections, fields, context, code blocks, and buttons as `[ Apply ]`.
 */

import type { ActionsBlockElement, KnownBlock, SectionBlockAccessory, TextObject } from '@slack/types';
import { unescapeMrkdwn } from '../mrkdwn.ts';
import type { SlackMessage } from './types.ts';

/** The emoji the renderers use, as characters; other shortcodes stay as they are. */
const EMOJI: Record<string, string> = {
  straight_ruler: '📏',
  droplet: '💧',
  chart_with_upwards_trend: '📈',
  desktop_computer: '🖥️',
  gear: '⚙️',
  information_source: 'ℹ️',
  grey_question: '❔',
  hourglass_flowing_sand: '⏳',
  mag: '🔍',
  brain: '🧠',
  x: '❌',
  white_check_mark: '✅',
  arrow_forward: '▶️',
  white_circle: '⚪',
  repeat: '🔁',
  point_right: '👉',
  rewind: '⏪',
  bar_chart: '📊',
  warning: '⚠️',
  rotating_light: '🚨',
};

function emojify(text: string): string {
  return text.replace(/:([a-z0-9_+-]+):/g, (whole, name: string) => EMOJI[name] ?? whole);
}

/** Slack's inline formatting (outside code): *bold*, _italic_, ~strike~, <url|label>. */
function formatInline(text: string): string {
  return emojify(
    text
      .replace(/<(https?:\/\/[^|>]+)\|([^>]+)>/g, '$2 ($1)')
      .replace(/<(https?:\/\/[^>]+)>/g, '$1')
      .replace(/(^|[\s(•])\*([^*\n]+)\*(?=$|[\s.,:;!?)])/gm, '$1$2')
      .replace(/(^|[\s(•])_([^_\n]+)_(?=$|[\s.,:;!?)])/gm, '$1$2')
      .replace(/(^|[\s(•])~([^~\n]+)~(?=$|[\s.,:;!?)])/gm, '$1$2'),
  );
}

/** mrkdwn to plain text: code blocks indented, inline code kept in backticks, entities decoded. */
function mrkdwnToText(text: string): string {
  const parts = text.split('```');
  const out: string[] = [];
  parts.forEach((part, i) => {
    if (i % 2 === 1) {
      const body = part
        .replace(/^\n/, '')
        .replace(/\n$/, '')
        .replace(/\u200b/g, '');
      out.push(
        `\n${body
          .split('\n')
          .map((line) => `    ${line}`)
          .join('\n')}\n`,
      );
      return;
    }
    // Inline code spans keep their content untouched.
    const spans = part.split('`');
    out.push(spans.map((span, j) => (j % 2 === 1 ? `\`${span}\`` : formatInline(span))).join(''));
  });
  return unescapeMrkdwn(out.join(''))
    .replace(/\n{3,}/g, '\n\n')
    .replace(/^\n+|\n+$/g, '');
}

function textOf(t: TextObject): string {
  return t.type === 'mrkdwn' ? mrkdwnToText(t.text) : emojify(t.text);
}

function elementText(e: ActionsBlockElement | SectionBlockAccessory): string {
  if (e.type === 'button') return `[ ${emojify(e.text.text)} ]`;
  if (e.type === 'image') return `[${e.alt_text}]`;
  const chosen =
    (e.type === 'static_select' ? (e.initial_option?.text.text ?? e.placeholder?.text) : undefined) ??
    'choose';
  return `[ ${chosen} ▾ ]`;
}

function renderBlock(block: KnownBlock): string {
  switch (block.type) {
    case 'header': {
      const title = emojify(block.text.text);
      return `${title}\n${'='.repeat(Math.min(80, [...title].length))}`;
    }
    case 'section': {
      const lines: string[] = [];
      if (block.text) lines.push(textOf(block.text));
      for (const f of block.fields ?? []) {
        const [label, ...rest] = textOf(f).split('\n');
        lines.push(rest.length > 0 ? `${label}: ${rest.join(' · ')}` : (label ?? ''));
      }
      if (block.accessory) lines.push(elementText(block.accessory));
      return lines.join('\n');
    }
    case 'context':
      return block.elements.map((e) => (e.type === 'image' ? `[${e.alt_text}]` : textOf(e))).join('  ·  ');
    case 'actions':
      return block.elements.map(elementText).join('  ');
    case 'divider':
      return '-'.repeat(40);
    case 'image':
      return `[image: ${block.title?.text ?? block.alt_text}]`;
    default:
      return '';
  }
}

/** One message as text: its blocks, or its fallback text when it has none. */
function renderMessageAsText(m: SlackMessage): string {
  if (m.blocks.length === 0) return mrkdwnToText(m.text);
  return m.blocks
    .map(renderBlock)
    .filter((s) => s.length > 0)
    .join('\n');
}

/** The root message and its thread as plain text, the thread replies set apart and indented. */
export function renderAsText(messages: { root: SlackMessage; thread: SlackMessage[] }): string {
  const out = [renderMessageAsText(messages.root)];
  for (const reply of messages.thread) {
    const body = renderMessageAsText(reply)
      .split('\n')
      .map((line) => (line.length > 0 ? `  │ ${line}` : '  │'))
      .join('\n');
    out.push(`  ┌─ reply\n${body}`);
  }
  return `${out.join('\n\n')}\n`;
}
