/**
 * The files that install the bot outside Kubernetes' own checks: the Dockerfile, the compose
 * stack with its Prometheus and Alertmanager configs, and the Slack app manifests. No Docker
 * engine runs here, so the image is checked by what it needs: Node 24 from the official image,
 * a production-only install that the sources can run on, a non-root user, an init process. The
 * Prometheus and Alertmanager configs go through promtool and amtool.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
// biome-ignore lint/suspicious/noExplicitAny: free-form YAML
type Any = any;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

const SOURCES = sourceFiles(join(ROOT, 'src')).map((file) => ({ file, text: readFileSync(file, 'utf8') }));

/** The Slack scopes each Web API method the code calls needs. */
const SCOPE_OF: Record<string, string[]> = {
  'chat.postMessage': ['chat:write'],
  'chat.update': ['chat:write'],
  'chat.postEphemeral': ['chat:write'],
  'files.uploadV2': ['files:write'],
  'usergroups.users.list': ['usergroups:read'],
  // public and private channels
  'conversations.history': ['channels:history', 'groups:history'],
  'conversations.replies': ['channels:history', 'groups:history'],
};

describe('install files: Dockerfile, docker-compose.yml, Slack app manifests', () => {
  describe('Dockerfile', () => {
    const dockerfile = read('Dockerfile');
    const instructions = dockerfile
      .replace(/\\\n/g, ' ')
      .split('\n')
      .filter((l) => l.trim() && !l.trim().startsWith('#'));

    it('builds in stages on the official Node 24 image, with production dependencies only', () => {
      const image = /^ARG NODE_IMAGE=(\S+)/m.exec(dockerfile)?.[1] ?? '';
      assert.match(image, /^node:24(-|$)/);
      assert.ok(instructions.filter((l) => /^FROM /.test(l)).length >= 2, 'multi-stage');
      assert.match(instructions.find((l) => l.startsWith('FROM ')) ?? '', /^FROM \$\{NODE_IMAGE\}/);
      assert.ok(instructions.some((l) => /^RUN .*npm ci --omit=dev/.test(l)));
      const engines = JSON.parse(read('package.json')).engines.node as string;
      assert.match(engines, />=24/, 'the image major matches package.json engines');
    });

    it('runs as a numeric non-root user under an init process', () => {
      const user = instructions.find((l) => l.startsWith('USER '))?.split(/\s+/)[1] ?? '';
      assert.match(user, /^[1-9]\d*(:[1-9]\d*)?$/);
      const entrypoint = JSON.parse(instructions.find((l) => l.startsWith('ENTRYPOINT '))?.slice(11) ?? '[]');
      assert.deepEqual(entrypoint.slice(0, 2), ['/usr/bin/tini', '--']);
      assert.ok(instructions.some((l) => /apt-get install .*\btini\b/.test(l)));
      assert.ok(
        instructions.some((l) => /fonts-dejavu-core/.test(l)),
        'the chart needs a font',
      );
      assert.deepEqual(entrypoint.slice(2), ['node', 'dist/cli.js']);
    });

    it('runs the sources compiled by `npm run build`, not the TypeScript', () => {
      assert.ok(
        instructions.some((l) => /^RUN node scripts\/build\.ts$/.test(l)),
        'the build stage runs the build',
      );
      assert.ok(instructions.includes('COPY --from=build /app/dist ./dist'), 'the final stage takes dist/');
      const final = instructions.slice(instructions.findLastIndex((l) => l.startsWith('FROM ')));
      assert.ok(!final.some((l) => /^COPY src\b/.test(l)), 'the final stage holds no TypeScript sources');
    });

    it('copies what exists, and the sources need nothing that --omit=dev leaves out', () => {
      for (const l of instructions.filter((i) => i.startsWith('COPY ') && !i.includes('--from='))) {
        const [, ...paths] = l.split(/\s+/).filter((p) => !p.startsWith('--'));
        for (const path of paths.slice(0, -1)) assert.ok(existsSync(join(ROOT, path)), `COPY ${path}`);
      }
      const pkg = JSON.parse(read('package.json'));
      const runtime = new Set(Object.keys(pkg.dependencies));
      const problems: string[] = [];
      for (const { file, text } of SOURCES) {
        for (const m of text.matchAll(/^import (?!type )[^;]*?from '([^']+)'|import\('([^']+)'\)/gms)) {
          const spec = (m[1] ?? m[2]) as string;
          if (spec.startsWith('.') || spec.startsWith('node:')) {
            if (spec.includes('/test/')) problems.push(`${file} imports ${spec} (not in the image)`);
            continue;
          }
          const name = spec.startsWith('@')
            ? spec.split('/').slice(0, 2).join('/')
            : (spec.split('/')[0] as string);
          if (!runtime.has(name)) problems.push(`${file} imports ${name}, not a production dependency`);
        }
      }
      assert.deepEqual(problems, []);
    });

    it('keeps secrets and local state out of the build context', () => {
      const ignored = read('.dockerignore').split('\n');
      for (const entry of ['.env', 'node_modules', '.git']) assert.ok(ignored.includes(entry), entry);
    });
  });

  describe('docker-compose.yml', () => {
    const compose = parse(read('docker-compose.yml'), { merge: true }) as Any;
    const services = compose.services as Record<string, Any>;

    it('runs Redis, Prometheus, Alertmanager and the bot’s web and workers, reading .env', () => {
      assert.deepEqual(Object.keys(services).sort(), [
        'alertmanager',
        'prometheus',
        'redis',
        'web',
        'worker',
      ]);
      assert.deepEqual(services.web.command, ['serve']);
      assert.deepEqual(services.worker.command, ['worker']);
      assert.ok(services.worker.deploy.replicas >= 2, 'workers scale out');
      for (const name of ['web', 'worker']) {
        const s = services[name];
        assert.deepEqual(s.env_file, ['.env']);
        assert.equal(s.environment.REDIS_URL, 'redis://redis:6379');
        assert.equal(s.depends_on.redis.condition, 'service_healthy');
        assert.equal(s.read_only, true);
        assert.deepEqual(s.cap_drop, ['ALL']);
        assert.equal(s.build, '.');
      }
      assert.match([services.web.healthcheck.test].flat().join(' '), /:3000\/readyz/);
      assert.match([services.worker.healthcheck.test].flat().join(' '), /:9091\/readyz/);
    });

    it('gives web and workers the NODE_OPTIONS of their Kubernetes Deployments', () => {
      for (const name of ['web', 'worker']) {
        const deployment = parse(read(`manifests/deployment-${name}.yaml`)) as Any;
        const env = deployment.spec.template.spec.containers[0].env as Array<{
          name: string;
          value?: string;
        }>;
        const shipped = env.find((e) => e.name === 'NODE_OPTIONS')?.value;
        assert.ok(shipped, `manifests/deployment-${name}.yaml sets NODE_OPTIONS`);
        assert.equal(services[name].environment.NODE_OPTIONS, shipped, name);
      }
    });

    it('mounts files that exist', () => {
      for (const s of Object.values(services))
        for (const volume of (s.volumes ?? []) as string[]) {
          const source = volume.split(':')[0] as string;
          if (source.startsWith('./')) assert.ok(existsSync(join(ROOT, source)), volume);
        }
    });

    it('wires Prometheus to the bot and to Alertmanager, and Alertmanager to the bot’s webhook (promtool, amtool)', async () => {
      const prometheus = parse(read('compose/prometheus.yml')) as Any;
      const jobs = prometheus.scrape_configs.map((j: Any) => j.job_name);
      assert.ok(jobs.includes('oom-bot-web') && jobs.includes('oom-bot-worker'));
      assert.deepEqual(prometheus.alerting.alertmanagers[0].static_configs[0].targets, ['alertmanager:9093']);
      const alertmanager = parse(read('compose/alertmanager.yml')) as Any;
      const hook = alertmanager.receivers[0].webhook_configs[0];
      assert.equal(hook.url, 'http://web:3000/alertmanager');
      assert.equal(hook.http_config.authorization.credentials_file, '/run/secrets/alertmanager_token');
      assert.equal(compose.secrets.alertmanager_token.environment, 'ALERTMANAGER_TOKEN');

      // the configs as the containers see them: /etc/prometheus/{prometheus.yml,rules/oom-rules.yaml}
      const etc = mkdtempSync(join(tmpdir(), 'oom-compose-'));
      mkdirSync(join(etc, 'rules'));
      writeFileSync(join(etc, 'prometheus.yml'), read('compose/prometheus.yml'));
      writeFileSync(join(etc, 'rules/oom-rules.yaml'), read('manifests/alerts/oom-rules.yaml'));
      const promtool = await run('promtool', ['check', 'config', join(etc, 'prometheus.yml')]);
      assert.match(promtool.stdout + promtool.stderr, /SUCCESS: 1 rule files found/);
      writeFileSync(join(etc, 'alertmanager.yml'), read('compose/alertmanager.yml'));
      const amtool = await run('amtool', ['check-config', join(etc, 'alertmanager.yml')]);
      assert.match(amtool.stdout, /SUCCESS/);
      rmSync(etc, { recursive: true, force: true });
    });
  });

  describe('Slack app manifests (manifests/slack/)', () => {
    const http = parse(read('manifests/slack/manifest.yml')) as Any;
    const socket = parse(read('manifests/slack/manifest.socket-mode.yml')) as Any;

    it('declares /oom and interactivity; HTTP mode on /slack/events, the Socket Mode variant without URLs', () => {
      for (const m of [http, socket]) {
        assert.deepEqual(
          m.features.slash_commands.map((c: Any) => c.command),
          ['/oom'],
        );
        assert.equal(m.settings.interactivity.is_enabled, true);
      }
      assert.equal(http.settings.socket_mode_enabled, false);
      assert.match(http.features.slash_commands[0].url, /^https:\/\/.+\/slack\/events$/);
      assert.equal(http.features.slash_commands[0].url, http.settings.interactivity.request_url);
      assert.equal(socket.settings.socket_mode_enabled, true);
      assert.equal(socket.features.slash_commands[0].url, undefined);
      assert.equal(socket.settings.interactivity.request_url, undefined);
    });

    it('asks for exactly the bot scopes of the Web API methods the code calls', () => {
      const methods = new Set<string>();
      for (const { text } of SOURCES) {
        const joined = text.replace(/\s*\n\s*\./g, '.');
        for (const m of joined.matchAll(/\bclient\.((?:[a-z]+\.)+[a-zA-Z0-9]+)\(/g))
          methods.add(m[1] as string);
      }
      assert.ok(methods.has('chat.postMessage'));
      const unknown = [...methods].filter((m) => !SCOPE_OF[m]);
      assert.deepEqual(unknown, [], 'a Web API method without a known scope: add it to SCOPE_OF');
      const needed = new Set(['commands', ...[...methods].flatMap((m) => SCOPE_OF[m] as string[])]);
      for (const m of [http, socket]) assert.deepEqual(new Set(m.oauth_config.scopes.bot), needed);
    });
  });
});
