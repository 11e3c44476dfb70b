/**
 * Slack user-group membership for the approval policy (usergroups.users.list), cached per group
 * for a minute. The web process checks a clicker with it; the worker checks the approvers again.
 */
import type { webApi } from '@slack/bolt';

type WebClient = webApi.WebClient;

export function groupResolver(ttlMs = 60_000) {
  const cache = new Map<string, { at: number; users: Set<string> }>();
  return async (client: WebClient, user: string, group: string): Promise<boolean> => {
    const hit = cache.get(group);
    if (hit && Date.now() - hit.at < ttlMs) return hit.users.has(user);
    const answer = await client.usergroups.users.list({ usergroup: group });
    const users = new Set((answer.users ?? []) as string[]);
    cache.set(group, { at: Date.now(), users });
    return users.has(user);
  };
}
