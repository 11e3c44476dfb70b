// "Did you mean": a name that matches nothing is answered with close names, read with a bounded
// page per kind, so the answer costs the same on a cluster of any size.
import assert from 'node:assert/strict';
import { OomBotError } from '../../../src/errors.ts';
import { resolveTarget, SUGGEST_PAGE } from '../../../src/sources/cluster.ts';
import type { KubeObject, ListOptions, ObjectLister } from '../../../src/sources/ports.ts';
import { createStaticLister } from '../../../src/sources/scenario.ts';

const deployment = (name: string, namespace: string): KubeObject => ({
  kind: 'Deployment',
  metadata: { name, namespace, uid: `${namespace}-${name}` },
  spec: { selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } } } },
});

/** The lister, remembering the options of every list without a name or label selector. */
function watched(
  inner: ObjectLister,
  wholeLists: Array<{ kind: string; options?: ListOptions }>,
): ObjectLister {
  return {
    name: inner.name,
    get: (kind, ns, name) => inner.get(kind, ns, name),
    list: async (kind, ns, options) => {
      const found = await inner.list(kind, ns, options);
      if (!options?.fieldSelector && !options?.labelSelector) wholeLists.push({ kind, options });
      return found;
    },
  };
}

describe('did you mean: suggestions for a name that matches nothing', () => {
  it('suggests close names from a bounded read of each kind, across a large cluster', async () => {
    const filler = Array.from({ length: 3 * SUGGEST_PAGE }, (_, i) =>
      deployment(`filler-${String(i).padStart(5, '0')}`, `ns-${i % 40}`),
    );
    const lister = createStaticLister([deployment('auth-service', 'a-prod'), ...filler], 'big');
    const wholeLists: Array<{ kind: string; options?: ListOptions }> = [];
    const error = await resolveTarget(watched(lister, wholeLists), { name: 'auth-servise' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(error instanceof OomBotError && error.code === 'target_not_found', String(error));
    assert.match(error.userMessage, /did you mean auth-service/);
    assert.ok(wholeLists.length > 0, 'the suggestions were read');
    for (const read of wholeLists) {
      assert.equal(read.options?.limit, SUGGEST_PAGE, `${read.kind}: a bounded page, not the whole kind`);
    }
  });
});
