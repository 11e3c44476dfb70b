/**
 * Podman for the image tests: makes sure podman is there (installing it from Debian when it can),
 * runs it with the project's containers.conf, makes the base images from Debian packages and
 * builds oom-bot's image, timing the build. Every command has a timeout, so a stuck step fails
 * with its output instead of hanging the run.
 */
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const ROOT = resolve(import.meta.dirname, '../..');
export const IMAGE = 'localhost/oom-bot:test';
export const REDIS_IMAGE = 'localhost/redis:bookworm';
const NODE_IMAGE = 'localhost/node:24-bookworm-slim';
const RUNTIME_IMAGE = 'localhost/debian:bookworm-slim';
// golang-github-containernetworking-plugin-dnsname gives compose's containers each other's names
// (`redis`) on the CNI network; Debian only recommends it with podman, and recommends are not installed
const DEBIAN_PACKAGES = [
  'podman',
  'buildah',
  'runc',
  'debootstrap',
  'uidmap',
  'iptables',
  'podman-compose',
  'golang-github-containernetworking-plugin-dnsname',
];
/** The CNI plugin that package installs. */
const DNSNAME_PLUGIN = '/usr/lib/cni/dnsname';

/** The environment every podman call gets: runc and the ulimits it can set here. */
export const podmanEnv = {
  ...process.env,
  CONTAINERS_CONF: resolve(ROOT, 'test/image/containers.conf'),
} as NodeJS.ProcessEnv;

function has(command: string, args = ['--version']): boolean {
  return spawnSync(command, args, { stdio: 'ignore', timeout: 30_000 }).status === 0;
}

/** Installs podman, buildah, runc, debootstrap, podman-compose and the DNS plugin from Debian when missing, else throws saying why. */
export function ensurePodman(): void {
  if (
    has('podman') &&
    has('debootstrap', ['--version']) &&
    has('podman-compose') &&
    has('iptables') &&
    existsSync(DNSNAME_PLUGIN)
  )
    return;
  const isRoot = process.getuid?.() === 0;
  if (!isRoot || !has('apt-get')) {
    throw new Error(
      `podman, debootstrap and podman-compose are needed for the image test and cannot be installed here (${isRoot ? 'no apt-get' : 'not root'}): apt-get install ${DEBIAN_PACKAGES.join(' ')}`,
    );
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const update = spawnSync('apt-get', ['update', '-qq'], { env, encoding: 'utf8', timeout: 300_000 });
  const install = spawnSync(
    'apt-get',
    ['install', '-y', '-qq', '--no-install-recommends', ...DEBIAN_PACKAGES],
    {
      env,
      encoding: 'utf8',
      timeout: 600_000,
    },
  );
  if (install.status !== 0 || !has('podman')) {
    throw new Error(
      `could not install ${DEBIAN_PACKAGES.join(' ')} with apt-get:\n${update.stderr ?? ''}${install.stderr ?? ''}`.trim(),
    );
  }
}

/** Runs `podman ARGS` and returns its stdout; throws with stderr on failure or after `timeoutMs`. */
export async function podman(args: string[], timeoutMs = 120_000): Promise<string> {
  try {
    const { stdout } = await run('podman', args, {
      env: podmanEnv,
      timeout: timeoutMs,
      maxBuffer: 64 * 1024 * 1024,
      killSignal: 'SIGKILL',
    });
    return stdout;
  } catch (err) {
    const e = err as { stderr?: string; stdout?: string; message: string };
    throw new Error(`podman ${args.join(' ')} failed: ${e.message}\n${e.stderr ?? ''}`.trim());
  }
}

/** The CA bundle passed as the `ca` build secret: OOM_BOT_CA_BUNDLE, else the system's, if any. */
export function caBundle(): string | undefined {
  const candidates = [process.env.OOM_BOT_CA_BUNDLE, '/etc/ssl/certs/ca-certificates.crt'];
  return candidates.find((file): file is string => Boolean(file && existsSync(file)));
}

/** Makes (or finds cached) the Debian-based Node, runtime and Redis images. */
export async function buildBaseImages(): Promise<void> {
  try {
    await run('bash', [resolve(ROOT, 'scripts/build-base-images.sh'), '--with-redis'], {
      env: podmanEnv,
      timeout: 15 * 60_000,
      maxBuffer: 16 * 1024 * 1024,
    });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`scripts/build-base-images.sh failed: ${e.message}\n${e.stderr ?? ''}`.trim());
  }
}

/** Builds the Dockerfile into IMAGE on the local bases; returns the seconds it took. */
export async function buildImage(): Promise<number> {
  const ca = caBundle();
  const started = process.hrtime.bigint();
  await podman(
    [
      'build',
      '--network=host',
      '--layers',
      '--build-arg',
      `NODE_IMAGE=${NODE_IMAGE}`,
      '--build-arg',
      `RUNTIME_IMAGE=${RUNTIME_IMAGE}`,
      ...(ca ? ['--secret', `id=ca,src=${ca}`] : []),
      '-t',
      IMAGE,
      ROOT,
    ],
    15 * 60_000,
  );
  return Number(process.hrtime.bigint() - started) / 1e9;
}

/** The image's size in bytes, as `podman images` reports it. */
export async function imageSize(image = IMAGE): Promise<number> {
  return Number((await podman(['image', 'inspect', '--format', '{{.Size}}', image])).trim());
}

let prepared: Promise<{ buildSeconds: number }> | undefined;

/** Podman, the base images and oom-bot's image, once per test run (every image test file calls it). */
export function prepareImages(): Promise<{ buildSeconds: number }> {
  prepared ??= (async () => {
    ensurePodman();
    await buildBaseImages();
    return { buildSeconds: await buildImage() };
  })();
  return prepared;
}

/**
 * The path of every file in every layer of `image`, hidden or not by a later layer: the image
 * saved as an OCI directory, each blob that is a tar (compressed or not) listed by GNU tar.
 */
export async function layerEntries(image = IMAGE): Promise<{ layers: number; entries: string[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'oom-bot-layers-'));
  try {
    await podman(['save', '--format', 'oci-dir', '-o', join(dir, 'image'), image], 300_000);
    const blobs = join(dir, 'image/blobs/sha256');
    let layers = 0;
    const entries: string[] = [];
    for (const blob of readdirSync(blobs)) {
      // the manifest and config blobs are JSON, which tar refuses
      const listed = spawnSync('tar', ['-tf', join(blobs, blob)], {
        encoding: 'utf8',
        maxBuffer: 64 * 1024 * 1024,
        timeout: 120_000,
      });
      if (listed.status !== 0) continue;
      layers += 1;
      entries.push(...listed.stdout.split('\n').filter(Boolean));
    }
    return { layers, entries };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
