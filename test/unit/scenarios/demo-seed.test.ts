/**
 * The demo's incident is committed under src/demo/auth-service (the image has no generator);
 * regenerating it with the generator must give the same files, so the two never drift apart.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { seedIncident, writeScenario } from '../../scenarios/generator.ts';

const COMMITTED = fileURLToPath(new URL('../../../src/demo/auth-service', import.meta.url));

describe('the demo incident shipped in src/demo', function () {
  this.timeout(120_000); // generating the incident is CPU work; the machine may be busy
  let regenerated: string;

  before(async () => {
    regenerated = await mkdtemp(join(tmpdir(), 'oom-seed-'));
    await writeScenario(regenerated, seedIncident());
  });

  for (const file of ['scenario.yaml', 'cluster.yaml']) {
    it(`has the ${file} the generator writes for the seed incident`, async () => {
      const committed = await readFile(join(COMMITTED, file), 'utf8');
      assert.equal(
        committed,
        await readFile(join(regenerated, file), 'utf8'),
        `regenerate src/demo/auth-service`,
      );
    });
  }

  it('has the metrics the generator writes (compared uncompressed: gzip bytes vary with zlib)', async () => {
    const committed = gunzipSync(await readFile(join(COMMITTED, 'metrics.om.gz'))).toString('utf8');
    const fresh = gunzipSync(await readFile(join(regenerated, 'metrics.om.gz'))).toString('utf8');
    assert.ok(committed.length > 100_000, 'the committed metrics hold the incident');
    assert.equal(committed === fresh, true, 'metrics.om.gz differs: regenerate src/demo/auth-service');
  });
});
