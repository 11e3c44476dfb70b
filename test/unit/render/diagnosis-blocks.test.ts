import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { Button, KnownBlock } from '@slack/types';
import fc from 'fast-check';
import { diagnose } from '../../../src/domain/diagnose.ts';
import type { Diagnosis } from '../../../src/domain/types.ts';
import { diagnoseNodeByName } from '../../../src/node-diagnosis-service.ts';
import { ACTION_IDS, BLOCK_IDS, isActionId } from '../../../src/render/action-ids.ts';
import { renderRoot, renderThread } from '../../../src/render/blocks/diagnosis.ts';
import { renderNodeRootPreview, renderNodeThread } from '../../../src/render/blocks/node-diagnosis.ts';
import { renderProgress } from '../../../src/render/blocks/progress.ts';
import { renderAsText } from '../../../src/render/blocks/text.ts';
import type { SlackMessage } from '../../../src/render/blocks/types.ts';
import { findViolations, fitMessage, LIMITS } from '../../../src/render/limits.ts';
import { parseOpenMetrics } from '../../../src/sources/openmetrics.ts';
import { createStaticLister, createStaticMetrics } from '../../../src/sources/scenario.ts';
import {
  ALL_CAUSES,
  AT,
  buildDiagnosis,
  buildRecommendation,
  buildTarget,
  diagnosisFor,
} from '../../support/diagnosis-builder.ts';
import { buildEvidence, MI } from '../../support/evidence-builder.ts';
import { nodePressureObjects, nodePressureOpenMetrics } from '../../support/node-pressure-fixture.ts';
import { app, ROLLOUT, withRollout } from '../../support/rollout-evidence.ts';

const GOLDEN_DIR = new URL('./golden/', import.meta.url);
const UPDATE = process.env.UPDATE_GOLDEN === '1';

/** Compare with the stored golden file (as JSON data, so formatting does not matter), or rewrite it. */
function golden(name: string, actual: unknown): void {
  const file = new URL(`${name}.json`, GOLDEN_DIR);
  if (UPDATE) {
    mkdirSync(GOLDEN_DIR, { recursive: true });
    writeFileSync(file, `${JSON.stringify(actual, null, 2)}\n`);
    return;
  }
  let expected: unknown;
  try {
    expected = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    assert.fail(`golden file ${name}.json is missing: run with UPDATE_GOLDEN=1`);
  }
  assert.deepStrictEqual(actual, expected, `${name}.json differs: review, then run with UPDATE_GOLDEN=1`);
}

const OPTS = { incidentId: 'inc-7f3a', planId: 'plan-91c2' };

function allMessages(d: Diagnosis, opts = OPTS): SlackMessage[] {
  return [renderRoot(d, opts), ...renderThread(d)];
}

function buttons(m: SlackMessage): Button[] {
  return m.blocks.flatMap((b) =>
    b.type === 'actions' ? b.elements.filter((e): e is Button => e.type === 'button') : [],
  );
}

/** Every mrkdwn string of a message, with the fallback text. */
function mrkdwnTexts(m: SlackMessage): string[] {
  const out = [m.text];
  const visit = (b: KnownBlock) => {
    if (b.type === 'section') {
      if (b.text?.type === 'mrkdwn') out.push(b.text.text);
      for (const f of b.fields ?? []) if (f.type === 'mrkdwn') out.push(f.text);
    }
    if (b.type === 'context') for (const e of b.elements) if (e.type === 'mrkdwn') out.push(e.text);
  };
  m.blocks.forEach(visit);
  return out;
}

function lines(text: string): string[] {
  return text.split('\n');
}

describe('render/blocks/diagnosis', () => {
  describe('golden files', () => {
    for (const cause of ALL_CAUSES) {
      it(`renders the ${cause} diagnosis as before`, () => {
        const d = diagnosisFor(cause);
        const root = renderRoot(d, {
          ...OPTS,
          counters: { alerts: 3, lastSeenAt: AT - 300 },
        });
        const thread = renderThread(d);
        golden(`diagnosis-${cause}`, { root, thread, text: lines(renderAsText({ root, thread })) });
      });
    }

    it('renders a deploy_regression diagnosed by the engine as before: rollback first, both revisions named', () => {
      const e = buildEvidence({
        limit: 1024 * MI,
        hours: 24,
        memory: ({ t }) => (t < ROLLOUT ? 700 * MI : 980 * MI + ((t % 3600) / 3600) * 120 * MI),
        traffic: () => 40,
      });
      const d = diagnose(withRollout(e, app('reg/svc:1.4.2', 1024 * MI), app('reg/svc:1.5.0', 1024 * MI)));
      assert.equal(d.cause, 'deploy_regression');
      const root = renderRoot(d, { ...OPTS, counters: { alerts: 1, lastSeenAt: AT - 300 } });
      const thread = renderThread(d);
      const text = lines(renderAsText({ root, thread }));
      golden('diagnosis-deploy_regression', { root, thread, text });
      const first = buttons(root)[0];
      assert.match(first?.text.text ?? '', /Roll back/, 'the first button is the rollback');
    });

    it('renders a native_memory diagnosed by the engine as before: runtime flags first, no bigger limit', () => {
      const H = 3600;
      const d = diagnose(
        buildEvidence({
          limit: 1024 * MI,
          env: { JAVA_TOOL_OPTIONS: '-Xms128m -Xmx300m -XX:+UseG1GC' },
          // direct buffers: the working set climbs in every lifetime, far above the 300m heap
          memory: (c) => 420 * MI + c.age * ((604 * MI) / (5 * H)),
          traffic: () => 40,
        }),
      );
      assert.equal(d.cause, 'native_memory');
      const root = renderRoot(d, { ...OPTS, counters: { alerts: 2, lastSeenAt: AT - 300 } });
      const thread = renderThread(d);
      const text = lines(renderAsText({ root, thread }));
      golden('diagnosis-native_memory', { root, thread, text });
      const joined = text.join('\n');
      assert.match(joined, /-Xmx300m/, 'the heap ceiling is named');
      assert.match(joined, /MaxDirectMemorySize/, 'the runtime flag is the advice');
      assert.ok(!buttons(root).some((b) => /Apply/.test(b.text.text)), 'no Apply of a bigger limit');
    });

    it('renders a node diagnosis as before: the hog first, requests to raise, workloads to spread', async () => {
      const at = Date.parse('2026-12-06T09:00:00Z') / 1000;
      const sources = {
        cluster: createStaticLister(nodePressureObjects(at), 'fixture'),
        metrics: createStaticMetrics(parseOpenMetrics(nodePressureOpenMetrics(at)), 'fixture'),
      };
      const { diagnosis } = await diagnoseNodeByName(sources, { node: 'worker-1', at });
      const root = renderNodeRootPreview(diagnosis);
      const thread = renderNodeThread(diagnosis);
      for (const m of [root, ...thread]) assert.deepEqual(findViolations(m.blocks), [], m.text);
      golden('node-diagnosis', { root, thread, text: lines(renderAsText({ root, thread })) });
    });

    it('renders every progress stage as before', () => {
      const target = buildTarget();
      const stages = {
        queued: renderProgress(target, 'queued'),
        gathering: renderProgress(target, 'gathering', 'pods, events, 24 h of memory and traffic'),
        analysing: renderProgress(target, 'analysing'),
        failed: renderProgress(target, 'failed', 'Prometheus did not answer within 10 s', {
          incidentId: 'inc-7f3a',
        }),
      };
      golden('progress', {
        ...stages,
        text: Object.fromEntries(
          Object.entries(stages).map(([k, m]) => [k, lines(renderAsText({ root: m, thread: [] }))]),
        ),
      });
    });
  });

  describe('root message', () => {
    it('puts the service and the verdict in the first line, with the cause emoji', () => {
      const root = renderRoot(buildDiagnosis(), OPTS);
      const first = root.blocks[0];
      assert.equal(first?.type, 'section');
      assert.equal(first?.block_id, BLOCK_IDS.rootVerdict);
      const text = first?.type === 'section' ? (first.text?.text ?? '') : '';
      assert.match(
        lines(text)[0] ?? '',
        /^:chart_with_upwards_trend: \*prod\/auth-service\* · \*traffic surge\*$/,
      );
      assert.match(root.text, /auth-service: traffic surge/);
      assert.match(root.text, /limit 512Mi, peak 506Mi, 102 OOM kills in 24 h/);
    });

    it('shows limit, peak, kills, restarts, since and the proposal as fields', () => {
      const root = renderRoot(buildDiagnosis(), OPTS);
      const fields = root.blocks
        .flatMap((b) => (b.type === 'section' ? (b.fields ?? []) : []))
        .map((f) => f.text);
      assert.deepEqual(fields, [
        '*Limit / request*\n512Mi / 256Mi',
        '*Peak*\n506Mi (99% of limit)',
        '*OOM kills (24 h)*\n102',
        '*Restarts (24 h)*\n102',
        '*Since*\n06:30 UTC',
        '*Pods*\n3',
        '*Proposed*\n1Gi limit / 512Mi request\n_what-if: 0 kills_',
      ]);
    });

    // Which buttons each cause gets: one row per cause.
    const BUTTONS: Array<[string, Diagnosis, string[]]> = [
      // surge: raise the limit, scale out, VPA
      [
        'traffic_surge',
        diagnosisFor('traffic_surge'),
        ['Apply', 'Preview', 'Create VPA', 'Scale out', 'Re-diagnose', 'Dismiss'],
      ],
      // limit too low: raise the limit, VPA; no scale_out action
      [
        'limit_too_low',
        diagnosisFor('limit_too_low'),
        ['Apply', 'Preview', 'Create VPA', 'Re-diagnose', 'Dismiss'],
      ],
      // a VPA rewrites the requests: its bounds beside Apply, and never a second VPA
      [
        'limit_too_low under a VPA in Auto mode',
        {
          ...diagnosisFor('limit_too_low'),
          actions: [
            ...diagnosisFor('limit_too_low').actions.filter((a) => a.kind !== 'create_vpa'),
            {
              kind: 'vpa_policy',
              title: 'Raise the VPA floor',
              vpaPolicy: { vpaName: 'auth-service', container: 'auth', minAllowedBytes: 512 * MI },
            },
          ],
        },
        ['Apply', 'Preview', 'Set VPA bounds', 'Re-diagnose', 'Dismiss'],
      ],
      // leak: never a primary limit bump, even when a recommendation slipped through
      ['memory_leak', diagnosisFor('memory_leak'), ['Re-diagnose', 'Dismiss']],
      // node pressure: the node, not the limit
      ['node_pressure', diagnosisFor('node_pressure'), ['Re-diagnose', 'Dismiss']],
      [
        'node_pressure with a recommendation',
        { ...diagnosisFor('node_pressure'), recommendation: buildRecommendation() },
        ['Re-diagnose', 'Dismiss'],
      ],
      ['heap_misconfigured', diagnosisFor('heap_misconfigured'), ['Re-diagnose', 'Dismiss']],
      ['no_oom', diagnosisFor('no_oom'), ['Re-diagnose', 'Dismiss']],
      ['unknown', diagnosisFor('unknown'), ['Re-diagnose', 'Dismiss']],
    ];
    for (const [name, d, expected] of BUTTONS) {
      it(`offers ${expected.join(', ')} for ${name}`, () => {
        assert.deepEqual(
          buttons(renderRoot(d, OPTS)).map((b) => b.text.text),
          expected,
        );
      });
    }

    it('offers no plan buttons without a plan id', () => {
      const root = renderRoot(buildDiagnosis(), { incidentId: 'inc-1' });
      assert.deepEqual(
        buttons(root).map((b) => b.text.text),
        ['Re-diagnose', 'Dismiss'],
      );
    });

    it('carries only the opaque ids in button values, with the shared action ids', () => {
      const bs = buttons(renderRoot(buildDiagnosis(), OPTS));
      const byText = Object.fromEntries(bs.map((b) => [b.text.text, b]));
      assert.equal(byText.Apply?.action_id, ACTION_IDS.apply);
      assert.equal(byText.Preview?.action_id, ACTION_IDS.preview);
      assert.equal(byText['Create VPA']?.action_id, ACTION_IDS.createVpa);
      assert.equal(byText['Scale out']?.action_id, ACTION_IDS.scaleOut);
      assert.equal(byText['Re-diagnose']?.action_id, ACTION_IDS.rediagnose);
      assert.equal(byText.Dismiss?.action_id, ACTION_IDS.dismiss);
      for (const name of ['Apply', 'Preview', 'Create VPA', 'Scale out'])
        assert.equal(byText[name]?.value, 'plan-91c2');
      for (const name of ['Re-diagnose', 'Dismiss']) assert.equal(byText[name]?.value, 'inc-7f3a');
      for (const b of bs) assert.ok(isActionId(b.action_id ?? ''));
    });

    it('makes Apply primary with a confirm dialog showing the exact change; Dismiss has no style', () => {
      const bs = buttons(renderRoot(buildDiagnosis(), OPTS));
      const apply = bs.find((b) => b.action_id === ACTION_IDS.apply);
      assert.equal(apply?.style, 'primary');
      const confirm = apply?.confirm?.text.text ?? '';
      assert.match(confirm, /Container auth of deployment\/auth-service in prod/);
      assert.match(confirm, /memory limit 512Mi → 1Gi/);
      assert.match(confirm, /memory request 256Mi → 512Mi/);
      assert.ok(confirm.length <= LIMITS.confirmText);
      const dismiss = bs.find((b) => b.action_id === ACTION_IDS.dismiss);
      assert.equal(dismiss?.style, undefined);
      assert.equal(dismiss?.confirm, undefined);
    });

    it('shows the alert counter and a status line, keeping user mentions but not broadcasts', () => {
      const root = renderRoot(buildDiagnosis(), {
        ...OPTS,
        status: 'Applied by <@U0123ABCD> & watched <!channel>',
        counters: { alerts: 4, lastSeenAt: AT - 60 },
      });
      const texts = mrkdwnTexts(root).join('\n');
      assert.match(texts, /:repeat: 4 alerts folded into this incident · last 09:29 UTC/);
      assert.match(texts, /Applied by <@U0123ABCD> &amp; watched &lt;!channel&gt;/);
    });
  });

  describe('thread', () => {
    it('posts evidence, ruled-out causes, actions, the chart caption, then missing data', () => {
      const thread = renderThread(diagnosisFor('unknown'));
      assert.deepEqual(
        thread.map((m) => m.blocks[0]?.block_id),
        [BLOCK_IDS.evidence, BLOCK_IDS.rejected, BLOCK_IDS.actions, BLOCK_IDS.chart, BLOCK_IDS.missing],
      );
      assert.equal(
        renderThread(buildDiagnosis()).length,
        4,
        'no missing-data message when nothing is missing',
      );
    });

    it('gives each rejected cause one line with its score and reason', () => {
      const [, rejected] = renderThread(buildDiagnosis());
      const text = rejected ? mrkdwnTexts(rejected).slice(1).join('\n') : '';
      assert.match(text, /^• \*memory leak\* \(score 0\.05\): no growth after warm-up/m);
      assert.match(text, /^• \*node memory pressure\* \(score 0\.00\): no evictions/m);
      assert.equal(text.split('\n').filter((l) => l.startsWith('• ')).length, 3);
    });

    it('puts investigate-first, the recommendation with its what-if, and commands in code blocks', () => {
      const [, , actions] = renderThread(buildDiagnosis());
      const text = actions ? mrkdwnTexts(actions).join('\n') : '';
      assert.match(text, /\*Investigate first:\* Confirm memory tracks traffic/);
      assert.match(text, /memory limit 512Mi → 1Gi, memory request 256Mi → 512Mi/);
      assert.match(
        text,
        /\*What-if:\* replaying the last 24 h against 1Gi: \*0 kills\* instead of 102, minimum headroom 180Mi/,
      );
      assert.match(text, /\*1\. Raise auth to 1Gi limit \/ 512Mi request\*/);
      assert.match(text, /```\nkubectl -n prod patch deployment\/auth-service --type=strategic/);
      assert.match(text, /"name":"auth"/);
      assert.match(text, /&lt;&lt;'EOF'/, 'heredoc markers are escaped inside code blocks');
    });

    it('omits the recommendation for a leak but keeps the temporary bump as a ranked action', () => {
      const [, , actions] = renderThread(diagnosisFor('memory_leak'));
      const text = actions ? mrkdwnTexts(actions).join('\n') : '';
      assert.doesNotMatch(text, /\*Recommendation\*/);
      assert.match(text, /\*2\. Temporary only: 1536Mi buys about 3\.7 h per lifetime, not a fix\*/);
    });

    it('lists the missing data', () => {
      const thread = renderThread(diagnosisFor('unknown'));
      const missing = thread.at(-1);
      const text = missing ? mrkdwnTexts(missing).join('\n') : '';
      assert.match(text, /• node memory \(node-exporter\)/);
      assert.match(text, /Restore and press Re-diagnose/);
    });
  });

  describe('escaping', () => {
    const evil = '<!channel> & <@U999> <https://evil.example|click>';
    function evilDiagnosis(): Diagnosis {
      const base = buildDiagnosis();
      return {
        ...base,
        target: buildTarget({
          namespace: `ns${evil}`,
          workload: { kind: 'Deployment', name: `svc${evil}` },
          service: `svc${evil}`,
          cluster: `cl${evil}`,
        }),
        container: `c${evil}`,
        headline: `ns${evil}/svc${evil}: traffic surge — ${evil}`,
        evidence: [`log line: ${evil}`, `label app=${evil}`],
        rejected: [{ cause: 'memory_leak', reason: `event message ${evil}` }],
        investigateFirst: `look at ${evil}`,
        recommendation: buildRecommendation({ container: `c${evil}`, rationale: evil }),
        actions: [
          { kind: 'patch_memory_limit', title: `Raise ${evil}`, detail: evil, command: `kubectl ${evil}` },
        ],
        missing: [`annotation ${evil}`],
        chart: { ...base.chart, traffic: { t: [], v: [], label: evil } },
      };
    }

    it('never leaves a mention, broadcast or link unescaped in any mrkdwn text', () => {
      const messages = [
        ...allMessages(evilDiagnosis(), { ...OPTS, incidentId: `inc${evil}`, planId: `plan${evil}` }),
        renderProgress(evilDiagnosis().target, 'gathering', evil),
        renderProgress(evilDiagnosis().target, 'failed', evil, { incidentId: 'inc' }),
      ];
      for (const m of messages) {
        for (const text of mrkdwnTexts(m)) {
          assert.doesNotMatch(text, /<[!@#]|<https?:/, text);
          assert.doesNotMatch(text, /&(?!amp;|lt;|gt;)/, `bare & in ${text}`);
        }
      }
      const all = messages.flatMap(mrkdwnTexts).join('\n');
      assert.match(all, /&lt;!channel&gt; &amp; &lt;@U999&gt;/);
    });

    it('escapes text inside code blocks', () => {
      const [, , actions] = renderThread(evilDiagnosis());
      const text = actions ? mrkdwnTexts(actions).join('\n') : '';
      assert.match(text, /```\nkubectl &lt;!channel&gt; &amp; &lt;@U999&gt;/);
    });

    it('shows the names as written in the text rendering', () => {
      const d = evilDiagnosis();
      const text = renderAsText({ root: renderRoot(d, OPTS), thread: renderThread(d) });
      assert.ok(text.includes(`svc${evil}`));
    });
  });

  describe('Block Kit limits', () => {
    function hugeDiagnosis(): Diagnosis {
      const long = (n: number, s = 'x') => s.repeat(n);
      const name = `svc-${long(300)}`;
      return buildDiagnosis({
        target: buildTarget({ workload: { kind: 'Deployment', name }, service: name }),
        container: long(300, 'c'),
        headline: long(5000, 'h'),
        evidence: Array.from({ length: 200 }, (_, i) => `evidence ${i} ${long(500, '<')}`),
        rejected: Array.from({ length: 40 }, (_, i) => ({
          cause: 'memory_leak' as const,
          reason: `${i} ${long(400)}`,
        })),
        investigateFirst: long(4000, '&'),
        recommendation: buildRecommendation({ rationale: long(5000) }),
        actions: Array.from({ length: 60 }, (_, i) => ({
          kind: i === 0 ? ('scale_out' as const) : ('patch_memory_limit' as const),
          title: `${i} ${long(400)}`,
          detail: long(3000),
          command: Array.from({ length: 200 }, (_, j) => `kubectl line ${j} ${long(30, '>')}`).join('\n'),
        })),
        missing: Array.from({ length: 120 }, (_, i) => `missing ${i} ${long(200)}`),
      });
    }

    it('fits every message of a huge diagnosis, saying how much was left out', () => {
      const d = hugeDiagnosis();
      const opts = { incidentId: 'i'.repeat(3000), planId: 'p'.repeat(3000), status: 's'.repeat(5000) };
      const messages = allMessages(d, opts);
      for (const m of messages) assert.deepEqual(findViolations(m.blocks), []);
      const all = messages.flatMap(mrkdwnTexts).join('\n');
      assert.match(all, /…and \d+ more/);
      assert.match(all, /…and \d+ more action\(s\)/);
      const [, , actions] = renderThread(d);
      for (const b of actions?.blocks ?? []) {
        if (b.type !== 'section' || !b.text) continue;
        assert.equal((b.text.text.match(/```/g) ?? []).length % 2, 0, 'code fences stay balanced');
      }
      assert.ok(
        buttons(renderRoot(d, opts)).some((b) => b.action_id === ACTION_IDS.apply),
        'buttons survive',
      );
    });

    it('keeps any generated diagnosis within the limits (property)', () => {
      const text = fc.string({ maxLength: 400, unit: 'grapheme' });
      fc.assert(
        fc.property(text, fc.array(text, { maxLength: 60 }), text, (name, evidence, command) => {
          const d = buildDiagnosis({
            target: buildTarget({ namespace: name, workload: { kind: 'Deployment', name }, service: name }),
            container: name,
            evidence,
            missing: evidence,
            actions: [{ kind: 'scale_out', title: name, command }],
          });
          for (const m of [
            ...allMessages(d),
            renderProgress(d.target, 'failed', name, { incidentId: name }),
          ]) {
            assert.deepEqual(findViolations(m.blocks), []);
            for (const t of mrkdwnTexts(m)) assert.doesNotMatch(t, /<[!@#]/);
          }
        }),
        { numRuns: 150 },
      );
    });

    describe('fitMessage', () => {
      const section = (text: string): KnownBlock => ({ type: 'section', text: { type: 'mrkdwn', text } });

      it('cuts long texts with an ellipsis and ids to their maximum', () => {
        const fitted = fitMessage([
          { type: 'header', text: { type: 'plain_text', text: 'h'.repeat(400) } },
          section('s'.repeat(4000)),
          {
            type: 'actions',
            elements: [
              {
                type: 'button',
                text: { type: 'plain_text', text: 'b'.repeat(100) },
                action_id: 'a'.repeat(300),
                value: 'v'.repeat(2500),
              },
            ],
          },
        ]);
        assert.deepEqual(findViolations(fitted), []);
        const [h, s, a] = fitted;
        assert.ok(
          h?.type === 'header' && h.text.text.length === LIMITS.headerText && h.text.text.endsWith('…'),
        );
        assert.ok(s?.type === 'section' && s.text?.text.length === LIMITS.sectionText);
        const b = a?.type === 'actions' ? a.elements[0] : undefined;
        assert.ok(b?.type === 'button');
        assert.equal(b.text.text.length, LIMITS.buttonText);
        assert.equal(b.action_id?.length, LIMITS.actionId);
        assert.equal(b.value?.length, LIMITS.buttonValue);
      });

      it('keeps 49 blocks and the buttons, with an "and N more" note, from 80', () => {
        const blocks: KnownBlock[] = Array.from({ length: 80 }, (_, i) => section(`line ${i}`));
        blocks.push({
          type: 'actions',
          elements: [
            { type: 'button', text: { type: 'plain_text', text: 'Go' }, action_id: 'go', value: '1' },
          ],
        });
        const fitted = fitMessage(blocks);
        assert.equal(fitted.length, LIMITS.blocksPerMessage);
        assert.equal(fitted.at(-1)?.type, 'actions');
        const note = fitted.at(-2);
        assert.ok(note?.type === 'context');
        assert.match(JSON.stringify(note), /…and 32 more/);
      });

      it('folds context elements beyond ten into "and N more"', () => {
        const fitted = fitMessage([
          {
            type: 'context',
            elements: Array.from({ length: 14 }, (_, i) => ({ type: 'mrkdwn', text: `e${i}` })),
          },
        ]);
        const c = fitted[0];
        assert.ok(c?.type === 'context');
        assert.equal(c.elements.length, LIMITS.contextElements);
        assert.match(JSON.stringify(c.elements.at(-1)), /…and 5 more/);
      });

      it('leaves blocks within the limits untouched', () => {
        const blocks = renderRoot(buildDiagnosis(), OPTS).blocks;
        assert.deepEqual(fitMessage(blocks), blocks);
      });
    });
  });

  describe('progress', () => {
    it('marks the current step and names the target', () => {
      const m = renderProgress(buildTarget(), 'analysing');
      const text = mrkdwnTexts(m).join('\n');
      assert.match(text, /:brain: \*prod\/auth-service\* · analysing…/);
      assert.match(
        text,
        /:white_check_mark: queued {2}→ {2}:white_check_mark: gathering evidence {2}→ {2}:arrow_forward: \*analysing\*/,
      );
      assert.equal(buttons(m).length, 0);
      assert.equal(m.blocks[0]?.block_id, BLOCK_IDS.progress);
    });

    it('offers Re-diagnose and Dismiss on failure when the incident is known', () => {
      const m = renderProgress(buildTarget(), 'failed', 'timeout', { incidentId: 'inc-1' });
      assert.deepEqual(
        buttons(m).map((b) => [b.action_id, b.value]),
        [
          [ACTION_IDS.rediagnose, 'inc-1'],
          [ACTION_IDS.dismiss, 'inc-1'],
        ],
      );
      assert.match(m.text, /diagnosis failed: timeout/);
    });
  });

  describe('text rendering', () => {
    it('shows headers, fields, code blocks and buttons as a person would see them in Slack', () => {
      const d = buildDiagnosis();
      const text = renderAsText({ root: renderRoot(d, OPTS), thread: renderThread(d) });
      assert.match(text, /^📈 prod\/auth-service · traffic surge$/m);
      assert.match(text, /^Limit \/ request: 512Mi \/ 256Mi$/m);
      assert.match(
        text,
        /^\[ Apply \] {2}\[ Preview \] {2}\[ Create VPA \] {2}\[ Scale out \] {2}\[ Re-diagnose \] {2}\[ Dismiss \]$/m,
      );
      assert.match(text, /│ What to do\n {2}│ =+\n/);
      assert.match(text, /│ {5}kubectl -n prod apply -f - <<'EOF'$/m, 'code is indented and unescaped');
      assert.match(text, /│ 1\. Raise auth to 1Gi limit \/ 512Mi request$/m, 'bold markers are removed');
      assert.doesNotMatch(text, /&lt;|&gt;|&amp;/);
    });
  });
});
