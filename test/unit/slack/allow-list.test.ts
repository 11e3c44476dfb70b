/** The `/oom` allow-lists: channel, user group, namespace, in that order; user groups cached briefly. */
import assert from 'node:assert/strict';
import {
  type AllowLists,
  cacheGroupMembers,
  checkOomRequest,
  type UserGroupClient,
} from '../../../src/slack/allow-list.ts';

const OPEN: AllowLists = { channels: [], userGroups: [], namespaces: [] };
const request = { channel: 'C1', user: 'U1' };
const noGroups = async () => new Set<string>();

function fakeClient(groups: Record<string, string[]>): UserGroupClient & { calls: string[]; down: boolean } {
  const client = {
    calls: [] as string[],
    down: false,
    usergroups: {
      users: {
        list: async ({ usergroup }: { usergroup: string }) => {
          client.calls.push(usergroup);
          if (client.down) throw new Error('slack unavailable');
          return { users: groups[usergroup] ?? [] };
        },
      },
    },
  };
  return client;
}

describe('/oom allow-lists', () => {
  it('allows everyone everywhere when no list is set, keeping the request namespace', async () => {
    assert.deepEqual(await checkOomRequest(request, OPEN, noGroups), { allowed: true, namespace: undefined });
    assert.deepEqual(await checkOomRequest({ ...request, namespace: 'prod' }, OPEN, noGroups), {
      allowed: true,
      namespace: 'prod',
    });
  });

  it('refuses another channel first, naming the channel rule', async () => {
    const d = await checkOomRequest(request, { ...OPEN, channels: ['C2'], userGroups: ['S1'] }, noGroups);
    assert.equal(d.allowed, false);
    assert.ok(!d.allowed && d.rule === 'channel' && /OOM_ALLOWED_CHANNELS/.test(d.text));
  });

  it('lets in members of any listed group and refuses the others', async () => {
    const client = fakeClient({ S1: ['U9'], S2: ['U1'] });
    const membersOf = cacheGroupMembers(client);
    const lists = { ...OPEN, userGroups: ['S1', 'S2'] };
    assert.equal((await checkOomRequest(request, lists, membersOf)).allowed, true);
    const d = await checkOomRequest({ ...request, user: 'U5' }, lists, membersOf);
    assert.ok(!d.allowed && d.rule === 'user_group' && /OOM_ALLOWED_USERGROUPS/.test(d.text));
  });

  it('refuses when Slack cannot say who is in the group', async () => {
    const client = fakeClient({ S1: ['U1'] });
    client.down = true;
    const d = await checkOomRequest(request, { ...OPEN, userGroups: ['S1'] }, cacheGroupMembers(client));
    assert.ok(!d.allowed && d.rule === 'user_group' && /could not check/.test(d.text));
  });

  it('asks Slack once per group within the cache time, again after it, and never caches a failure', async () => {
    let now = 1_000_000;
    const client = fakeClient({ S1: ['U1'] });
    const membersOf = cacheGroupMembers(client, { ttlMs: 60_000, now: () => now });
    const lists = { ...OPEN, userGroups: ['S1'] };
    await checkOomRequest(request, lists, membersOf);
    now += 59_000;
    await checkOomRequest(request, lists, membersOf);
    assert.deepEqual(client.calls, ['S1']);
    now += 2_000;
    client.down = true;
    assert.equal((await checkOomRequest(request, lists, membersOf)).allowed, false);
    client.down = false;
    assert.equal((await checkOomRequest(request, lists, membersOf)).allowed, true);
    assert.deepEqual(client.calls, ['S1', 'S1', 'S1']);
  });

  it('limits namespaces: refuses another, defaults to the only one, asks for -n among several', async () => {
    const one = { ...OPEN, namespaces: ['shop'] };
    const two = { ...OPEN, namespaces: ['shop', 'prod'] };
    assert.deepEqual(await checkOomRequest(request, one, noGroups), { allowed: true, namespace: 'shop' });
    const other = await checkOomRequest({ ...request, namespace: 'kube-system' }, two, noGroups);
    assert.ok(!other.allowed && other.rule === 'namespace' && /`kube-system`/.test(other.text));
    const none = await checkOomRequest(request, two, noGroups);
    assert.ok(!none.allowed && none.rule === 'namespace' && /-n <namespace>/.test(none.text));
    assert.ok(!none.allowed && !/shop|prod/.test(none.text), 'the allowed namespaces are not listed');
  });
});
