/**
 * One chat message as the renderers produce it: the notification text and Block Kit blocks typed
 * with @slack/types (the types Bolt and the Web API use). Plain data, so the renderers stay pure
 * and their output can be compared with golden files.
 */
import type { KnownBlock } from '@slack/types';

/** `text` is the notification fallback, `blocks` what Slack draws. */
export interface SlackMessage {
  text: string;
  blocks: KnownBlock[];
}
