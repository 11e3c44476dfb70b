/** What a channel of the fake Slack shows, for comparing a run under faults with a clean run. */
import type { FakeSlack, SlackCall } from '../support/fake-slack.ts';

/**
 * The successful posts and chart uploads of a channel, in arrival order, with what differs from
 * run to run (channel id, message timestamps, incident and record ids) taken out.
 */
export function transcript(slack: FakeSlack, channel: string): string[] {
  const normal = (s: string) =>
    s
      .replaceAll(channel, 'CHANNEL')
      .replace(/\b\d{10}\.\d{6}\b/g, 'TS')
      .replace(/inc-[A-Za-z0-9_-]+/g, 'INC')
      .replace(/"value":"[A-Za-z0-9_-]{22}"/g, '"value":"ID"');
  return slack
    .calls()
    .filter((c) => c.ok && (c.args.channel === channel || c.args.channel_id === channel))
    .filter((c) => c.method === 'chat.postMessage' || c.method === 'files.completeUploadExternal')
    .map((c: SlackCall) =>
      c.method === 'chat.postMessage'
        ? `${c.args.thread_ts ? 'reply' : 'root'} ${normal(JSON.stringify(c.args.text))}`
        : `chart ${normal(JSON.stringify((c.args.files as Array<{ title?: string }>)?.[0]?.title))}`,
    );
}

/** How many entries are repeats of an earlier one. */
export function duplicates(lines: string[]): number {
  return lines.length - new Set(lines).size;
}
