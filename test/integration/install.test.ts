/**
 * The README's install section, run as written by scripts/install-check.sh against a real
 * kube-apiserver with the Prometheus Operator CRDs: Secrets, Helm install, the objects, uninstall,
 * nothing left; then the same with kustomize. This test provides the cluster, kubectl and helm.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { type KubeStack, kubeBinDir, startKube } from '../stack/kube.ts';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');
const CRDS = join(ROOT, 'test/support/prometheus-operator-crds.yaml');

describe('the README install section (scripts/install-check.sh, real kube-apiserver)', function () {
  this.timeout(300_000);
  let kube: KubeStack | undefined;
  let env: NodeJS.ProcessEnv;

  before(async function () {
    this.timeout(60 * 60_000); // the first run builds helm, kube-apiserver and etcd
    const helm = (
      await run('bash', [join(ROOT, 'test/kube/build-helm.sh')], { timeout: 60 * 60_000 })
    ).stdout.trim();
    kube = await startKube();
    env = {
      ...process.env,
      KUBECONFIG: kube.kubeconfigPath,
      PATH: `${kubeBinDir()}:${dirname(helm)}:${process.env.PATH}`,
      INSTALL_CHECK_FINALIZE: '1',
    };
    // what kube-prometheus-stack would have put there: the CRDs and the monitoring namespace
    const crds = parseAllDocuments(readFileSync(CRDS, 'utf8')).map((d) => JSON.stringify(d.toJS()));
    const kubectl = join(kubeBinDir(), 'kubectl');
    const apply = run(kubectl, ['apply', '--server-side', '-f', '-'], { env });
    apply.child.stdin?.end(crds.join('\n---\n'));
    await apply;
    await run(kubectl, ['wait', '--for=condition=Established', 'crd', '--all', '--timeout=60s'], { env });
    await run(kubectl, ['create', 'namespace', 'monitoring'], { env });
  });

  after(async () => {
    await kube?.stop();
  });

  it('installs with Helm and with kustomize, finds every object, and uninstalls leaving nothing', async () => {
    const { stdout, stderr } = await run('bash', [join(ROOT, 'scripts/install-check.sh')], {
      env,
      timeout: 240_000,
    });
    assert.match(stderr, /install-check: passed/);
    const steps = stdout
      .trim()
      .split('\n')
      .map((l) => l.trim().split(/\s+/).slice(0, 2).join(' '));
    assert.deepEqual(steps, [
      'helm secrets',
      'helm install',
      'helm check',
      'helm uninstall',
      'kustomize secrets',
      'kustomize install',
      'kustomize check',
      'kustomize uninstall',
    ]);
    process.stdout.write(`${stdout.replace(/^/gm, '      ')}\n`);
    const left = await run(
      join(kubeBinDir(), 'kubectl'),
      ['get', 'clusterrole', 'oom-bot', '--ignore-not-found', '-o', 'name'],
      { env },
    );
    assert.equal(left.stdout.trim(), '');
  });
});
