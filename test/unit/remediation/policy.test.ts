import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { OomBotError } from '../../../src/errors.ts';
import {
  type ApprovalRequest,
  approvalsRequired,
  DEFAULT_POLICY,
  decide,
  loadPolicy,
  matchesNamespace,
  parsePolicy,
  ruleFor,
} from '../../../src/remediation/policy.ts';

const GI = 2 ** 30;

const POLICY = parsePolicy(
  {
    version: 1,
    approvers: { users: ['U0APPROVER'], groups: ['S0SRETEAM'] },
    defaults: { actions: ['preview', 'apply', 'create_vpa', 'scale_out', 'rollback'], maxMemoryLimit: '8Gi' },
    namespaces: [
      {
        match: 'prod*',
        actions: ['preview', 'apply', 'rollback'],
        maxMemoryLimit: '4Gi',
        twoPersonRule: true,
      },
      { match: 'kube-*', actions: ['preview'] },
      { match: 'payments', approvers: { users: ['U0PAYMENTS'] } },
    ],
  },
  'test-policy.yaml',
);

function request(overrides: Partial<ApprovalRequest> = {}): ApprovalRequest {
  return {
    action: 'apply',
    namespace: 'staging',
    user: 'U0APPROVER',
    cause: 'traffic_surge',
    newLimitBytes: 2 * GI,
    ...overrides,
  };
}

function refusalOf(policy = POLICY, overrides: Partial<ApprovalRequest> = {}): Promise<string> {
  return decide(policy, request(overrides)).then((d) => {
    assert.equal(d.allowed, false, 'expected a refusal');
    return d.allowed ? '' : d.reason;
  });
}

describe('approval policy: validation', () => {
  it('reads the shipped example file', async () => {
    const policy = await loadPolicy(
      new URL('../../../manifests/approval-policy.yaml', import.meta.url).pathname,
    );
    assert.ok(policy.approvers.users.length > 0);
    assert.equal(ruleFor(policy, 'prod').twoPersonRule, true);
  });

  // each row: a broken document, and the words the error must contain
  const broken: Array<[string, unknown, RegExp]> = [
    ['unknown version', { version: 2 }, /version/],
    [
      'a user id that is not one',
      { version: 1, approvers: { users: ['alice'] } },
      /approvers\.users\[0\].*Slack user id/,
    ],
    [
      'a group id that is not one',
      { version: 1, approvers: { groups: ['U0123'] } },
      /groups\[0\].*user group/,
    ],
    ['an unknown action', { version: 1, defaults: { actions: ['delete'] } }, /defaults\.actions\[0\]/],
    [
      'a limit that is no quantity',
      { version: 1, defaults: { maxMemoryLimit: 'lots' } },
      /maxMemoryLimit.*quantity/,
    ],
    [
      'a namespace pattern with a slash',
      { version: 1, namespaces: [{ match: 'prod/x' }] },
      /namespaces\[0\]\.match/,
    ],
    ['a misspelt field', { version: 1, namespace: [] }, /namespace/],
    [
      'a two-person rule that is a string',
      { version: 1, defaults: { twoPersonRule: 'yes' } },
      /twoPersonRule/,
    ],
  ];
  for (const [what, doc, words] of broken) {
    it(`refuses ${what}, naming the file and the field`, () => {
      assert.throws(
        () => parsePolicy(doc, 'policy.yaml'),
        (error: unknown) => {
          assert.ok(error instanceof OomBotError);
          assert.equal(error.code, 'config_invalid');
          assert.match(error.userMessage, /APPROVAL_POLICY_FILE policy\.yaml is invalid/);
          assert.match(error.userMessage, words);
          return true;
        },
      );
    });
  }

  it('names an unreadable file and invalid YAML', async () => {
    await assert.rejects(loadPolicy('/nonexistent/policy.yaml'), /cannot be read: ENOENT/);
    const dir = mkdtempSync(join(tmpdir(), 'policy-'));
    const file = join(dir, 'p.yaml');
    writeFileSync(file, 'version: 1\napprovers: [unclosed\n');
    await assert.rejects(loadPolicy(file), /is not valid YAML/);
  });

  it('is the safe default without a file: previews only, nobody approves', async () => {
    assert.equal(await loadPolicy(undefined), DEFAULT_POLICY);
    assert.match(await refusalOf(DEFAULT_POLICY), /Apply is not allowed .* No approval policy is configured/);
    assert.equal((await decide(DEFAULT_POLICY, request({ action: 'preview' }))).allowed, true);
  });

  it('matches namespace patterns with * wildcards only', () => {
    assert.ok(matchesNamespace('prod*', 'prod'));
    assert.ok(matchesNamespace('prod*', 'prod-eu'));
    assert.ok(!matchesNamespace('prod*', 'preprod'));
    assert.ok(matchesNamespace('*-prod', 'shop-prod'));
    assert.ok(!matchesNamespace('a.b', 'axb'), 'a dot is a dot, not any character');
  });

  it('parses the YAML it documents', () => {
    const doc = parse('version: 1\ndefaults: {actions: [preview, apply], maxMemoryLimit: 2Gi}\n');
    assert.equal(parsePolicy(doc, 'x').defaults.maxMemoryLimitBytes, 2 * GI);
  });
});

describe('approval policy: decisions', () => {
  it('lets an approver apply within the limit', async () => {
    assert.equal((await decide(POLICY, request())).allowed, true);
  });

  // each row: the request, and the reason the clicker reads
  const refusals: Array<[string, Partial<ApprovalRequest>, RegExp]> = [
    [
      'a user who is not an approver',
      { user: 'U0SOMEONE', inGroup: async () => false },
      /<@U0SOMEONE> is not an approver for namespace staging/,
    ],
    [
      'an action the namespace rule does not allow',
      { action: 'scale_out', namespace: 'prod' },
      /Scale out is not allowed in namespace prod by namespace rule prod\*/,
    ],
    [
      'anything but preview in kube-system',
      { namespace: 'kube-system' },
      /Apply is not allowed in namespace kube-system/,
    ],
    [
      'a limit above the namespace maximum',
      { namespace: 'prod', newLimitBytes: 5 * GI, user: 'U0APPROVER' },
      /5Gi is above the 4Gi allowed in namespace prod/,
    ],
    ['a limit above the default maximum', { newLimitBytes: 9 * GI }, /above the 8Gi/],
    ['Apply for a memory leak', { cause: 'memory_leak' }, /wrong fix for memory leak/],
    ['Apply for node pressure', { cause: 'node_pressure' }, /wrong fix for node pressure/],
    [
      'a scale out above the default replica ceiling',
      { action: 'scale_out', maxReplicas: 11 },
      /11 replicas is above the ceiling of 10 in namespace staging/,
    ],
    [
      'the global approvers where a rule names its own',
      { namespace: 'payments' },
      /not an approver for namespace payments/,
    ],
  ];
  for (const [what, overrides, reason] of refusals) {
    it(`refuses ${what}`, async () => {
      assert.match(await refusalOf(POLICY, overrides), reason);
    });
  }

  it('asks for two distinct approvals of every write where the two-person rule is on, whoever asked', async () => {
    const prod = await decide(POLICY, request({ namespace: 'prod' }));
    assert.ok(prod.allowed);
    for (const action of ['apply', 'rollback'] as const)
      assert.equal(approvalsRequired(prod.rule, action), 2);
    assert.equal(approvalsRequired(prod.rule, 'preview'), 1);
    const staging = await decide(POLICY, request({ namespace: 'staging' }));
    assert.ok(staging.allowed);
    assert.equal(approvalsRequired(staging.rule, 'apply'), 1);
  });

  it('matches a rule on the cluster a change targets and names that cluster in refusals', async () => {
    const policy = parsePolicy(
      {
        version: 1,
        approvers: { users: ['U0APPROVER'] },
        defaults: { actions: ['preview', 'apply'] },
        namespaces: [{ match: '*', cluster: 'prod-*', actions: ['preview'] }],
      },
      'clusters.yaml',
    );
    assert.equal((await decide(policy, request({ cluster: 'staging-eu' }))).allowed, true);
    assert.match(
      await refusalOf(policy, { cluster: 'prod-eu' }),
      /Apply is not allowed in namespace staging of cluster prod-eu by namespace rule \* \(cluster prod-\*\)/,
    );
    assert.equal(ruleFor(policy, 'staging').from, 'the defaults', 'the default context is not prod-*');
  });

  it('accepts members of an approver user group, and says so when membership cannot be checked', async () => {
    const member = await decide(
      POLICY,
      request({ user: 'U0MEMBER', inGroup: async (u, g) => u === 'U0MEMBER' && g === 'S0SRETEAM' }),
    );
    assert.equal(member.allowed, true);
    assert.match(
      await refusalOf(POLICY, { user: 'U0OUTSIDER', inGroup: async () => false }),
      /is not an approver/,
    );
    assert.match(
      await refusalOf(POLICY, {
        user: 'U0MEMBER',
        inGroup: async () => {
          throw new Error('missing_scope');
        },
      }),
      /membership could not be checked/,
    );
  });

  it('needs no approver for a preview', async () => {
    assert.equal((await decide(POLICY, request({ action: 'preview', user: 'U0ANYONE' }))).allowed, true);
  });
});

describe('approval policy: Set VPA bounds', () => {
  const withVpa = parsePolicy(
    {
      version: 1,
      approvers: { users: ['U0APPROVER'] },
      defaults: { actions: ['preview', 'vpa_policy'], maxMemoryLimit: '4Gi' },
    },
    'vpa-policy.yaml',
  );

  it('is a write an approver must allow, named in refusals, and off unless the policy lists it', async () => {
    const vpa = { action: 'vpa_policy' as const, newLimitBytes: GI };
    assert.equal((await decide(withVpa, request(vpa))).allowed, true);
    assert.match(await refusalOf(POLICY, vpa), /Set VPA bounds is not allowed in namespace staging/);
    assert.match(await refusalOf(withVpa, { ...vpa, user: 'U0STRANGER' }), /is not an approver/);
  });

  it('caps the bound it sets at maxMemoryLimit, and is never for a leak', async () => {
    assert.match(
      await refusalOf(withVpa, { action: 'vpa_policy', newLimitBytes: 6 * GI }),
      /the new memory limit 6Gi is above the 4Gi allowed/,
    );
    assert.match(
      await refusalOf(withVpa, { action: 'vpa_policy', cause: 'memory_leak' }),
      /wrong fix for memory leak, so Set VPA bounds is never offered/,
    );
  });
});
