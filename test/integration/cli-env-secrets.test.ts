/**
 * Env values never reach a diagnosis: a JVM whose JAVA_OPTS carries a datasource password, run
 * through the `oom-bot diagnose` binary, gets a suggested `kubectl set env` that shows only the
 * heap flag (JSON report and the Block Kit payload Slack would get).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { generateScenario, writeScenario } from '../scenarios/generator.ts';
import { BIN } from '../support/bot-process.ts';

const run = promisify(execFile);
const PASSWORD = 'hunter2-"quoted"\\back';
const SECRET_OPTS = [`-Dspring.datasource.password=${PASSWORD}`, '-Dapi.key=sk_live_abcdef123456'];

// biome-ignore lint/suspicious/noExplicitAny: Kubernetes objects are open-ended JSON
type Any = any;

/** Puts the secrets into every env var that holds the heap flag, in the workload and its pods. */
function addSecretsToJavaEnv(objects: Any[]): string {
  let envName = '';
  for (const o of objects) {
    const spec = o.kind === 'Pod' ? o.spec : o.spec?.template?.spec;
    for (const c of spec?.containers ?? []) {
      for (const e of c.env ?? []) {
        if (typeof e.value === 'string' && /-Xmx|MaxRAMPercentage/.test(e.value)) {
          e.value = `${SECRET_OPTS[0]} ${e.value} ${SECRET_OPTS[1]}`;
          envName = e.name;
        }
      }
    }
  }
  return envName;
}

async function diagnose(dir: string, output: 'json' | 'slack'): Promise<string> {
  const { stdout } = await run(BIN, ['diagnose', 'orders', '--scenario', dir, '--output', output], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME },
    maxBuffer: 32 * 2 ** 20,
  });
  return stdout;
}

describe('oom-bot diagnose with secrets in JAVA_OPTS', function () {
  this.timeout(90_000);
  let dir: string;
  let envName: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'oom-env-secrets-'));
    const s = generateScenario({
      seed: 21,
      cause: 'heap_misconfigured',
      runtime: 'jvm',
      variant: 'env',
      service: 'orders',
      windowHours: 6,
    });
    envName = addSecretsToJavaEnv(s.clusterObjects as Any[]);
    assert.ok(envName, 'the scenario sets a JVM heap flag in an env var');
    await writeScenario(dir, s);
  });

  it('the JSON report suggests set env with the heap flag and … for everything else', async () => {
    const stdout = await diagnose(dir, 'json');
    const report = JSON.parse(stdout);
    assert.equal(report.cause, 'heap_misconfigured');
    const command = report.actions.map((a: { command?: string }) => a.command ?? '').join('\n');
    const setEnv = command.split('\n').find((line: string) => line.includes(' set env '));
    assert.ok(setEnv, 'a set env command is suggested');
    assert.match(setEnv, new RegExp(`${envName}='… -Xmx\\d+m …'`));
    assert.match(command, /put them back before running/);
    for (const text of [stdout, JSON.stringify(report)]) {
      assert.ok(!text.includes('hunter2'), 'no password');
      assert.ok(!text.includes('sk_live'), 'no API key');
      assert.ok(!text.includes('datasource'), 'not even the property name');
    }
  });

  it('the Slack payload shows no secret either', async () => {
    const stdout = await diagnose(dir, 'slack');
    assert.match(stdout, / set env /);
    for (const needle of ['hunter2', 'sk_live', 'datasource']) assert.ok(!stdout.includes(needle), needle);
  });
});
