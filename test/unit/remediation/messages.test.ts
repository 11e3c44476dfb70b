import assert from 'node:assert/strict';
import { loadConfig } from '../../../src/config.ts';
import type { ChangeRecord, RemediationPlan } from '../../../src/contracts/plan-types.ts';
import {
  renderApplied,
  renderApproved,
  renderDrift,
  renderGitOps,
  renderPreview,
  renderRefusalAudit,
  renderRefusalEphemeral,
  renderRollout,
  renderStillOoming,
} from '../../../src/render/blocks/remediation.ts';
import type { SlackMessage } from '../../../src/render/blocks/types.ts';
import { blockKitErrors } from '../../support/fake-slack.ts';

const TARGET = { namespace: 'prod', kind: 'Deployment' as const, name: 'auth-service' };
const PLAN: RemediationPlan = {
  id: 'p'.repeat(22),
  incidentId: 'inc-1',
  channel: 'C1',
  messageTs: '1.1',
  threadTs: '1.1',
  target: TARGET,
  container: 'auth',
  cause: 'traffic_surge',
  createdAt: 0,
  expiresAt: 1800,
  snapshot: { memory: { limit: '512Mi' } },
  memory: { from: { limit: '512Mi' }, to: { limit: '2Gi', request: '1Gi' } },
};
const CHANGE: ChangeRecord = {
  id: 'c'.repeat(22),
  planId: PLAN.id,
  incidentId: 'inc-1',
  channel: 'C1',
  threadTs: '1.1',
  target: TARGET,
  container: 'auth',
  previous: { limit: '512Mi' },
  applied: { limit: '2Gi', request: '1Gi' },
  approver: 'U0APPROVER',
  appliedAt: Date.parse('2026-11-24T09:45:00Z') / 1000,
  expiresAt: 0,
};

function valid(m: SlackMessage): SlackMessage {
  assert.deepEqual(blockKitErrors(m.blocks), []);
  assert.ok(m.text.length > 0 && m.text.length <= 3000);
  return m;
}

describe('remediation messages', () => {
  it('fit Block Kit even with a huge diff, YAML or reason', () => {
    const diff = Array.from({ length: 500 }, (_, i) => ({ path: `spec.x${i}`, before: '"a"', after: '"b"' }));
    valid(renderPreview(PLAN, 'U0X', diff));
    valid(renderApplied(CHANGE, diff, { rolloutTimeoutMs: 300_000 }));
    valid(
      renderGitOps(
        { tool: 'Argo CD', evidence: 'annotation argocd.argoproj.io/tracking-id' },
        TARGET,
        'x: y\n'.repeat(2000),
      ),
    );
    valid(
      renderDrift(
        TARGET,
        Array.from({ length: 300 }, () => 'its generation moved from 1 to 2'),
        'inc-1',
      ),
    );
    valid(
      renderRefusalEphemeral({
        action: 'apply',
        user: 'U0X',
        at: 0,
        reason: 'r'.repeat(5000),
        incidentId: 'i',
      }),
    );
    valid(
      renderStillOoming(
        CHANGE,
        Array.from({ length: 50 }, (_, i) => ({ pod: `p${i}`, at: i })),
      ),
    );
  });

  it('audit who, what and when in the thread', () => {
    const approved = valid(renderApproved(PLAN, 'apply', 'U0APPROVER', CHANGE.appliedAt, false));
    assert.match(
      JSON.stringify(approved.blocks),
      /<@U0APPROVER> approved \*Apply\* at 2026-11-24 09:45:00 UTC: container `auth` of deployment\/auth-service in prod: memory limit 512Mi → 2Gi, request unset → 1Gi · incident inc-1/,
    );
    const refused = valid(
      renderRefusalAudit({ action: 'rollback', user: 'U0X', at: CHANGE.appliedAt, reason: 'no.' }),
    );
    assert.match(
      JSON.stringify(refused.blocks),
      /<@U0X> clicked \*Rollback\* at 2026-11-24 09:45:00 UTC: refused, no\./,
    );
  });

  it('escape names from the cluster and keep only user mentions', () => {
    const m = renderRefusalEphemeral({
      action: 'apply',
      user: 'U0X',
      at: 0,
      reason: '<!channel> <@U0OK> <https://x|y>',
    });
    const text = JSON.stringify(m.blocks);
    assert.match(text, /&lt;!channel&gt; <@U0OK> &lt;https:\/\/x\|y&gt;/);
  });

  it('put a Rollback button (with a confirmation) on an applied change, not on a rollback', () => {
    const applied = JSON.stringify(renderApplied(CHANGE, [], { rolloutTimeoutMs: 1000 }).blocks);
    assert.match(applied, /"action_id":"oom_rollback","value":"c{22}"/);
    assert.match(
      applied,
      /Restore container auth of deployment\/auth-service to memory limit 512Mi, request unset/,
    );
    const rolledBack = JSON.stringify(
      renderApplied({ ...CHANGE, rollbackOf: 'x' }, [], { rolloutTimeoutMs: 1000 }).blocks,
    );
    assert.doesNotMatch(rolledBack, /oom_rollback/);
    assert.match(rolledBack, /\*Rolled back\*/);
  });

  it('say how long a stuck rollout was watched and what to run', () => {
    const m = renderRollout(TARGET, { done: false, message: '1 of 3 pods updated', waitedMs: 300_000 });
    assert.match(
      JSON.stringify(m.blocks),
      /Rollout stuck\*: deployment\/auth-service in prod after 5m?.*1 of 3 pods updated.*kubectl -n prod rollout status deployment\/auth-service/,
    );
  });
});

describe('remediation configuration', () => {
  const base = {
    SLACK_BOT_TOKEN: 'xoxb-t',
    APPROVAL_SIGNING_KEY: 'test-only-approval-signing-key-0123456789',
    SLACK_SIGNING_SECRET: 's',
    PROMETHEUS_URL: 'http://127.0.0.1:9090',
  };

  it('has safe defaults', () => {
    const r = loadConfig(base, { mode: 'start' }).remediation;
    assert.deepEqual(r, {
      policyFile: undefined,
      signingKey: base.APPROVAL_SIGNING_KEY,
      writeNamespaces: ['*'],
      denyNamespaces: ['kube-*', 'oom-bot'],
      buttonTtlSeconds: 1800,
      dryRunOnly: false,
      rolloutTimeoutMs: 300_000,
      verifySeconds: 900,
    });
  });

  it('reads every variable, fractions of a minute included (tests use short windows)', () => {
    const r = loadConfig(
      {
        ...base,
        APPROVAL_POLICY_FILE: '/etc/oom-bot/policy.yaml',
        BUTTON_TTL_MINUTES: '5',
        DRY_RUN_ONLY: 'true',
        ROLLOUT_TIMEOUT_SECONDS: '30',
        VERIFY_MINUTES: '0.05',
        WRITE_NAMESPACES: 'team-*, shop',
        POD_NAMESPACE: 'ops',
      },
      { mode: 'start' },
    ).remediation;
    assert.deepEqual(r, {
      policyFile: '/etc/oom-bot/policy.yaml',
      signingKey: base.APPROVAL_SIGNING_KEY,
      writeNamespaces: ['team-*', 'shop'],
      denyNamespaces: ['kube-*', 'ops'],
      buttonTtlSeconds: 300,
      dryRunOnly: true,
      rolloutTimeoutMs: 30_000,
      verifySeconds: 3,
    });
  });

  // each row: a bad value, and the variable the error must name
  const bad: Array<[Record<string, string>, RegExp]> = [
    [{ DRY_RUN_ONLY: 'maybe' }, /^DRY_RUN_ONLY: must be true or false/],
    [{ BUTTON_TTL_MINUTES: '0' }, /^BUTTON_TTL_MINUTES/],
    [{ VERIFY_MINUTES: 'soon' }, /^VERIFY_MINUTES/],
    [{ ROLLOUT_TIMEOUT_SECONDS: '-1' }, /^ROLLOUT_TIMEOUT_SECONDS/],
    [{ APPROVAL_SIGNING_KEY: 'short' }, /^APPROVAL_SIGNING_KEY: must be at least 32 characters/],
    [{ APPROVAL_SIGNING_KEY: '' }, /^APPROVAL_SIGNING_KEY is required to sign and verify/],
  ];
  for (const [env, name] of bad) {
    it(`refuses ${JSON.stringify(env)}, naming the variable`, () => {
      assert.throws(
        () => loadConfig({ ...base, ...env }, { mode: 'start' }),
        (e: Error) => name.test(e.message),
      );
    });
  }
});
