/**
 * Slack mrkdwn helpers: escaping of untrusted text, code blocks, and truncation that never
 * breaks an escape entity, a surrogate pair or a code fence.
 */

const ELLIPSIS = '…';
const FENCE = '```';

/**
 * Escape text for mrkdwn: `&`, `<` and `>` become entities, so `<!channel>`, `<@U123>` or
 * `<https://x|y>` in a name are shown, never parsed as a mention or a link.
 */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

const USER_MENTION = /^<@[UW][A-Z0-9]{2,20}>$/;

/**
 * Escape like {@link escapeMrkdwn} but keep user mentions (`<@U0123ABC>`) working: for status
 * lines written by the bot that name who approved. Broadcasts (`<!channel>`) stay escaped.
 */
export function escapeKeepingUserMentions(text: string): string {
  return text
    .split(/(<@[UW][A-Z0-9]{2,20}>)/)
    .map((part) => (USER_MENTION.test(part) ? part : escapeMrkdwn(part)))
    .join('');
}

/** Undo {@link escapeMrkdwn}. */
export function unescapeMrkdwn(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

/** Break up backtick runs that would end a code span or fence early. */
function defuseBackticks(text: string, run: RegExp): string {
  return text.replace(run, (ticks) => ticks.split('').join('\u200b'));
}

/** An escaped inline code span. */
export function inlineCode(text: string): string {
  const body = escapeMrkdwn(text).replace(/`/g, 'ʼ').replace(/\n/g, ' ');
  return `\`${body}\``;
}

/**
 * An escaped, fenced code block of at most `maxChars` characters (fences included); a longer
 * body is cut at a line end where possible and marked with "…".
 */
export function codeBlock(text: string, maxChars = Number.POSITIVE_INFINITY): string {
  const body = defuseBackticks(escapeMrkdwn(text.replace(/\s+$/, '')), /`{3,}/g);
  const overhead = FENCE.length * 2 + 2;
  if (body.length + overhead <= maxChars) return `${FENCE}\n${body}\n${FENCE}`;
  const budget = Math.max(0, maxChars - overhead - ELLIPSIS.length - 1);
  let cut = truncateRaw(body, budget);
  const lineEnd = cut.lastIndexOf('\n');
  if (lineEnd > budget * 0.6) cut = cut.slice(0, lineEnd);
  return `${FENCE}\n${cut}\n${ELLIPSIS}\n${FENCE}`;
}

/** Cut `text` to at most `max` UTF-16 units without splitting an entity or a surrogate pair. */
function truncateRaw(text: string, max: number): string {
  if (text.length <= max) return text;
  let cut = text.slice(0, Math.max(0, max));
  const amp = cut.lastIndexOf('&');
  if (amp >= 0 && !cut.slice(amp).includes(';') && /^&(?:amp|lt|gt|quot|#\d+);/.test(text.slice(amp))) {
    cut = cut.slice(0, amp);
  }
  const last = cut.charCodeAt(cut.length - 1);
  if (last >= 0xd800 && last <= 0xdbff) cut = cut.slice(0, -1);
  return cut;
}

/**
 * Text of at most `max` characters: longer text ends in "…". Safe on escaped mrkdwn (no cut
 * entity) and on code: an open fence is closed again.
 */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  if (max <= ELLIPSIS.length) return ELLIPSIS.slice(0, Math.max(0, max));
  let cut = `${truncateRaw(text, max - ELLIPSIS.length).replace(/\s+$/, '')}${ELLIPSIS}`;
  if (countFences(cut) % 2 === 1) {
    const closing = `\n${FENCE}`;
    cut = `${truncateRaw(text, max - ELLIPSIS.length - closing.length).replace(/\s+$/, '')}${ELLIPSIS}`;
    if (countFences(cut) % 2 === 1) cut += closing;
  }
  return cut;
}

function countFences(text: string): number {
  return text.split(FENCE).length - 1;
}

/** "…and 3 more" */
export function andMore(count: number): string {
  return `…and ${count} more`;
}

/** The first `max` items, and how many were left out. */
export function takeAtMost<T>(items: readonly T[], max: number): { shown: T[]; more: number } {
  const n = Math.max(0, Math.min(items.length, max));
  return { shown: items.slice(0, n), more: items.length - n };
}

/**
 * Lines joined by newlines within `maxChars`: lines that do not fit are dropped and counted
 * in a final "…and N more" line; a single line longer than the budget is cut with "…".
 */
export function joinLines(lines: readonly string[], maxChars: number): string {
  const out: string[] = [];
  let used = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    const left = lines.length - i - 1;
    const reserve = left > 0 ? andMore(left).length + 3 : 0;
    const cost = line.length + (out.length > 0 ? 1 : 0);
    if (used + cost + reserve <= maxChars) {
      out.push(line);
      used += cost;
      continue;
    }
    const moreText = `_${andMore(lines.length - i)}_`;
    if (out.length === 0) {
      // Not even the first line fits with a note: cut it and count the rest.
      const rest = lines.length - 1;
      const note = rest > 0 ? `\n_${andMore(rest)}_` : '';
      return `${truncate(line, maxChars - note.length)}${note}`;
    }
    out.push(moreText);
    return out.join('\n');
  }
  return out.join('\n');
}

/** Bulleted lines ("• …"), within `maxChars`. */
export function bulletList(lines: readonly string[], maxChars: number): string {
  return joinLines(
    lines.map((line) => `• ${line}`),
    maxChars,
  );
}
