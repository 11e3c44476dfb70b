/** The `oom-bot` binary as a user runs it: diagnose a scenario, every output, every error. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { SCORERS } from '../../src/domain/diagnose.ts';
import { seedIncident, writeScenario } from '../scenarios/generator.ts';
import { BIN } from '../support/bot-process.ts';

const run = promisify(execFile);

async function oomBot(args: string[], bin = BIN): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(bin, args, {
      env: { PATH: process.env.PATH, HOME: process.env.HOME },
      maxBuffer: 32 * 2 ** 20,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('oom-bot command line', function () {
  this.timeout(60_000);
  let dir: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'oom-cli-'));
    await writeScenario(dir, seedIncident());
  });

  it('prints the JSON report for a scenario', async () => {
    const { code, stdout } = await oomBot([
      'diagnose',
      'auth-service',
      '--scenario',
      dir,
      '--output',
      'json',
    ]);
    assert.equal(code, 0);
    const report = JSON.parse(stdout);
    assert.equal(report.cause, 'traffic_surge');
    assert.ok(report.confidence > 0 && report.confidence <= 1);
    assert.deepEqual(report.target.workload, { kind: 'Deployment', name: 'auth-service' });
    assert.equal(report.target.namespace, 'prod');
    assert.equal(report.target.container, 'auth');
    assert.ok(report.evidence.length > 0);
    // every other cause the engine scores is ruled out, with a reason
    assert.equal(report.rejected.length, SCORERS.length - 1);
    assert.ok(report.actions.every((a: { kind: string; title: string }) => a.kind && a.title));
    assert.equal(report.recommendation.container, 'auth');
    assert.ok(report.recommendation.memoryLimitBytes > 512 * 2 ** 20);
    assert.match(report.recommendation.memoryLimit, /^\d+(Mi|Gi)$/);
  });

  it('finds the service in any namespace when none is given, and honours --at', async () => {
    const early = await oomBot([
      'diagnose',
      'auth-service',
      '--scenario',
      dir,
      '--output',
      'json',
      '--at',
      '2026-11-24T05:00:00Z',
    ]);
    assert.equal(early.code, 0);
    const report = JSON.parse(early.stdout);
    assert.equal(report.at, '2026-11-24T05:00:00.000Z');
    assert.notEqual(report.cause, 'traffic_surge', 'before the surge there is nothing to blame on traffic');
  });

  it('prints exactly what Slack would get, and writes the chart', async () => {
    const chart = join(dir, 'chart.png');
    const { code, stdout } = await oomBot([
      'diagnose',
      'auth-service',
      '-n',
      'prod',
      '--scenario',
      dir,
      '--output',
      'slack',
      '--chart',
      chart,
    ]);
    assert.equal(code, 0);
    const slack = JSON.parse(stdout);
    assert.equal(typeof slack.root.text, 'string');
    assert.ok(Array.isArray(slack.root.blocks) && slack.root.blocks.length <= 50);
    assert.ok(slack.thread.length >= 2);
    assert.deepEqual(
      [...readFileSync(chart).subarray(0, 8)],
      [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a],
    );
  });

  it('prints a faithful text rendering by default', async () => {
    const { code, stdout } = await oomBot(['diagnose', 'auth-service', '--scenario', dir]);
    assert.equal(code, 0);
    assert.match(stdout, /traffic surge/);
    assert.match(stdout, /kubectl -n prod patch deployment\/auth-service/);
  });

  const errors: Array<[string, string[], number, RegExp]> = [
    ['no service', ['diagnose'], 2, /needs exactly one <service>/],
    ['a bad output', ['diagnose', 'x', '--output', 'yaml'], 2, /--output must be text, json or slack/],
    ['a bad time', ['diagnose', 'x', '--at', 'yesterday'], 2, /--at must be an RFC 3339 time/],
    ['an unknown option', ['diagnose', 'x', '--frobnicate'], 2, /Unknown option '--frobnicate'/],
    ['an unknown command', ['explode'], 2, /unknown command "explode"/],
    ['an invalid name', ['diagnose', 'Auth!'], 2, /not a valid Kubernetes name/],
  ];
  for (const [name, args, exit, message] of errors) {
    it(`refuses ${name} with exit ${exit} and one line`, async () => {
      const { code, stderr } = await oomBot(args);
      assert.equal(code, exit);
      assert.match(stderr, message);
      assert.equal(stderr.trim().split('\n').length, 1);
    });
  }

  it('names near matches when the target is not found', async () => {
    const { code, stderr } = await oomBot(['diagnose', 'auth-svc', '--scenario', dir]);
    assert.equal(code, 1);
    assert.match(
      stderr,
      /no service, workload or app label named auth-svc in any namespace; did you mean auth-service/,
    );
  });

  it('names the file and line of an unreadable scenario', async () => {
    const broken = mkdtempSync(join(tmpdir(), 'oom-broken-'));
    await writeScenario(broken, seedIncident());
    writeFileSync(join(broken, 'cluster.yaml'), 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: [unclosed\n');
    const { code, stderr } = await oomBot(['diagnose', 'auth-service', '--scenario', broken]);
    assert.equal(code, 1);
    assert.match(stderr, /cannot read scenario file .*cluster\.yaml:\d+:/);
  });

  it('names a missing scenario file', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'oom-empty-'));
    const { code, stderr } = await oomBot(['diagnose', 'auth-service', '--scenario', empty]);
    assert.equal(code, 1);
    assert.match(stderr, /scenario\.yaml: no such file/);
  });

  it('runs the demo with nothing but the project', async () => {
    const out = mkdtempSync(join(tmpdir(), 'oom-demo-'));
    const { code, stdout } = await oomBot(['demo', '--out', out]);
    assert.equal(code, 0);
    assert.match(stdout, /traffic surge/);
    const saved = JSON.parse(readFileSync(join(out, 'slack.json'), 'utf8'));
    assert.ok(saved.root.blocks.length > 0);
    assert.ok(readFileSync(join(out, 'memory.png')).length > 10_000);
  });

  it('lists the development commands in a checkout, and generate writes scenarios', async () => {
    const help = await oomBot(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /oom-bot generate --out DIR/);
    assert.match(help.stdout, /oom-bot replay DIR/);
    const out = mkdtempSync(join(tmpdir(), 'oom-gen-'));
    const generated = await oomBot(['generate', '--out', out, '--count', '2', '--seed', '5']);
    assert.equal(generated.code, 0);
    assert.match(generated.stdout, /^2 scenarios written to /);
  });

  it('installed as the image is (bin, src, package.json), lists and runs only what works there', async () => {
    const root = dirname(dirname(BIN));
    const image = mkdtempSync(join(tmpdir(), 'oom-image-'));
    for (const part of ['bin', 'src', 'package.json'])
      cpSync(join(root, part), join(image, part), { recursive: true });
    symlinkSync(join(root, 'node_modules'), join(image, 'node_modules'));
    const bin = join(image, 'bin', 'oom-bot');

    const help = await oomBot(['--help'], bin);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /oom-bot diagnose/);
    assert.doesNotMatch(help.stdout, /generate|replay/);
    for (const command of ['generate', 'replay']) {
      const { code, stderr } = await oomBot([command, '--out', image], bin);
      assert.equal(code, 2);
      assert.match(
        stderr,
        new RegExp(`"${command}" is a development command, available from a source checkout`),
      );
    }
    const demo = await oomBot(['demo', '--out', join(image, 'demo')], bin);
    assert.equal(demo.code, 0);
    assert.match(demo.stdout, /traffic surge/);
  });
});
