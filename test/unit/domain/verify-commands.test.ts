/**
 * The verify commands under every action carry the real names: the rollout of the workload, then
 * the memory of its pods by their labels, and never a `-l` with nothing after it (a forecast
 * target of a bare pod knows no selector).
 */
import assert from 'node:assert/strict';
import { renderVerifyCommands } from '../../../src/domain/commands.ts';
import type { Target } from '../../../src/domain/types.ts';

const target = (selector: Record<string, string>): Target => ({
  namespace: 'prod',
  workload: { kind: 'Deployment', name: 'auth-service' },
  selector,
});

describe('verify commands', () => {
  it("name the workload's rollout and its pods by their sorted labels", () => {
    assert.equal(
      renderVerifyCommands(target({ tier: 'api', app: 'auth' })),
      'kubectl -n prod rollout status deployment/auth-service --timeout=5m\n' +
        'kubectl -n prod top pod -l app=auth,tier=api --containers',
    );
  });

  it('show the namespace when no selector is known, instead of an empty -l', () => {
    const text = renderVerifyCommands(target({}));
    assert.doesNotMatch(text, /-l\s/);
    assert.match(text, /^kubectl -n prod top pod --containers$/m);
  });
});
