/**
 * Slack errors no retry can fix (the bot is not in the channel, the channel is gone or archived,
 * a scope or the token is missing): the requester is told what went wrong and the fix, and the job
 * fails at once (BullMQ's UnrecoverableError) instead of posting the same refusal three times.
 */
import { UnrecoverableError } from 'bullmq';
import { describeError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { ReplyTo } from '../queues/payloads.ts';
import type { SlackPoster } from '../slack/poster.ts';

/** Each permanent Web API error and what the user should do about it. */
const FIXES: Record<string, string> = {
  not_in_channel:
    'the bot is not a member of this channel: invite it with `/invite @oom-bot`, then run the command again',
  channel_not_found:
    'the bot cannot see this channel (a private channel or a DM it was never added to): invite it with `/invite @oom-bot`',
  is_archived: 'this channel is archived: run the command in an active channel',
  missing_scope:
    'the Slack app lacks a permission it needs: reinstall it from the manifest in manifests/slack/ (an admin must approve)',
  token_revoked: "the bot's token was revoked: reinstall the Slack app and update SLACK_BOT_TOKEN",
  invalid_auth: "the bot's token is not valid: check SLACK_BOT_TOKEN",
  account_inactive: "the bot's account is deactivated: reinstall the Slack app",
};

/** The Slack error code of a failed Web API call when no retry can succeed, else undefined. */
export function permanentSlackError(error: unknown): string | undefined {
  const e = error as { code?: string; data?: { error?: string } };
  if (e?.code !== 'slack_webapi_platform_error') return undefined;
  const code = e.data?.error;
  return code && code in FIXES ? code : undefined;
}

/**
 * The error the job fails with: an UnrecoverableError (after telling the requester, through the
 * slash command's response URL, what went wrong and the fix) for a permanent Slack error, else the
 * error itself (BullMQ retries it).
 */
export async function failureOf(
  error: unknown,
  reply: ReplyTo,
  slack: Pick<SlackPoster, 'respond'>,
  log: Logger,
): Promise<unknown> {
  const code = permanentSlackError(error);
  if (!code) return error;
  const fix = FIXES[code] as string;
  log.warn({ code, channel: reply.channel }, 'slack refused the post; not retried');
  if (reply.responseUrl) {
    await slack
      .respond(reply.responseUrl, {
        text: `:warning: I could not post here (Slack said \`${code}\`): ${fix}.`,
      })
      .catch((e: unknown) => log.warn({ err: describeError(e) }, 'response_url failed'));
  }
  return new UnrecoverableError(`slack ${code}: ${fix}`);
}
