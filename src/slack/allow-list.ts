/**
 * Who may run `/oom`, in which channel, on which namespace: OOM_ALLOWED_CHANNELS,
 * OOM_ALLOWED_USERGROUPS and OOM_ALLOWED_NAMESPACES (an empty list allows all). User groups are
 * resolved with usergroups.users.list and cached briefly; when Slack does not answer, the request
 * is refused (closed, never open). A refusal names the rule that refused.
 */

export interface AllowLists {
  channels: readonly string[];
  userGroups: readonly string[];
  namespaces: readonly string[];
}

type AllowRule = 'channel' | 'user_group' | 'namespace';

type AllowDecision =
  | { allowed: true /** The namespace to use: the request's, or the only one allowed. */; namespace?: string }
  | { allowed: false; rule: AllowRule; text: string };

/** The members of a user group (Slack user ids). */
export type GroupMembers = (group: string) => Promise<ReadonlySet<string>>;

/** How long a user group's members are trusted before Slack is asked again. */
const USER_GROUP_CACHE_MS = 60_000;

export interface UserGroupClient {
  usergroups: { users: { list(args: { usergroup: string }): Promise<{ users?: string[] }> } };
}

/** Members per group from Slack, cached for `ttlMs`; a failed lookup is not cached. */
export function cacheGroupMembers(
  client: UserGroupClient,
  options: { ttlMs?: number; now?: () => number } = {},
): GroupMembers {
  const ttlMs = options.ttlMs ?? USER_GROUP_CACHE_MS;
  const now = options.now ?? Date.now;
  const cache = new Map<string, { at: number; members: Promise<ReadonlySet<string>> }>();
  return (group) => {
    const hit = cache.get(group);
    if (hit && now() - hit.at < ttlMs) return hit.members;
    const members = client.usergroups.users
      .list({ usergroup: group })
      .then((answer) => new Set(answer.users ?? []) as ReadonlySet<string>);
    const entry = { at: now(), members };
    cache.set(group, entry);
    members.catch(() => {
      if (cache.get(group) === entry) cache.delete(group);
    });
    return members;
  };
}

function refuse(rule: AllowRule, text: string): AllowDecision {
  return { allowed: false, rule, text: `:no_entry: ${text}` };
}

async function inAnyGroup(
  user: string,
  groups: readonly string[],
  membersOf: GroupMembers,
): Promise<boolean> {
  const sets = await Promise.all(groups.map((g) => membersOf(g)));
  return sets.some((members) => members.has(user));
}

/** Checks a `/oom` request against the allow-lists, in order: channel, user group, namespace. */
export async function checkOomRequest(
  request: { channel: string; user: string; namespace?: string },
  lists: AllowLists,
  membersOf: GroupMembers,
): Promise<AllowDecision> {
  if (lists.channels.length > 0 && !lists.channels.includes(request.channel))
    return refuse(
      'channel',
      '`/oom` is not enabled in this channel (refused by the channel allow-list, OOM_ALLOWED_CHANNELS). Ask in a channel where oom-bot works.',
    );
  if (lists.userGroups.length > 0) {
    let member: boolean;
    try {
      member = await inAnyGroup(request.user, lists.userGroups, membersOf);
    } catch {
      return refuse(
        'user_group',
        'oom-bot could not check your user groups with Slack just now (user group allow-list, OOM_ALLOWED_USERGROUPS). Try again in a minute.',
      );
    }
    if (!member)
      return refuse(
        'user_group',
        'you are not in a user group allowed to run `/oom` (refused by the user group allow-list, OOM_ALLOWED_USERGROUPS).',
      );
  }
  if (lists.namespaces.length === 0) return { allowed: true, namespace: request.namespace };
  if (request.namespace === undefined) {
    if (lists.namespaces.length === 1) return { allowed: true, namespace: lists.namespaces[0] };
    return refuse(
      'namespace',
      'name the namespace with `-n <namespace>`: `/oom` may look only in some namespaces (namespace allow-list, OOM_ALLOWED_NAMESPACES).',
    );
  }
  if (!lists.namespaces.includes(request.namespace))
    return refuse(
      'namespace',
      `\`/oom\` may not look in namespace \`${request.namespace}\` (refused by the namespace allow-list, OOM_ALLOWED_NAMESPACES).`,
    );
  return { allowed: true, namespace: request.namespace };
}
