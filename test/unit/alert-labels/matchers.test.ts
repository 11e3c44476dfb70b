import assert from 'node:assert/strict';
import {
  DEFAULT_ALERT_MATCHERS,
  matchesAnyRule,
  parseMatcherRules,
} from '../../../src/alert-labels/matchers.ts';
import { OomBotError } from '../../../src/errors.ts';

const defaults = parseMatcherRules(DEFAULT_ALERT_MATCHERS);

describe('alert matchers: which alerts start a diagnosis', () => {
  const rows: Array<[string, Record<string, string>, boolean]> = [
    // the shipped rule for a container OOM kill
    ['KubeContainerOOMKilled', { alertname: 'KubeContainerOOMKilled', namespace: 'prod' }, true],
    // awesome-prometheus-alerts' OOM rule, same metric underneath
    ['KubernetesContainerOomKiller', { alertname: 'KubernetesContainerOomKiller', namespace: 'prod' }, true],
    // the shipped CrashLoopBackOff-because-OOM rule carries reason=OOMKilled
    ['KubeContainerCrashLoopOOM', { alertname: 'KubeContainerCrashLoopOOM', reason: 'OOMKilled' }, true],
    // kube-prometheus' crash loop with an OOM reason label
    [
      'KubePodCrashLooping with reason OOMKilled',
      { alertname: 'KubePodCrashLooping', reason: 'OOMKilled' },
      true,
    ],
    // a crash loop for another reason is not ours
    [
      'KubePodCrashLooping with reason CrashLoopBackOff',
      { alertname: 'KubePodCrashLooping', reason: 'CrashLoopBackOff' },
      false,
    ],
    // a crash loop without any reason label is not ours either
    ['KubePodCrashLooping without reason', { alertname: 'KubePodCrashLooping' }, false],
    // memory near the limit (shipped rule)
    ['KubeContainerMemoryNearLimit', { alertname: 'KubeContainerMemoryNearLimit' }, true],
    // node memory pressure, shipped and awesome-prometheus-alerts names
    ['KubeNodeMemoryPressure', { alertname: 'KubeNodeMemoryPressure', node: 'n1' }, true],
    ['KubernetesMemoryPressure', { alertname: 'KubernetesMemoryPressure', node: 'n1' }, true],
    // anything else is ignored
    ['Watchdog', { alertname: 'Watchdog' }, false],
    // anchored: a longer name that contains ours does not match
    ['KubeContainerOOMKilledTest', { alertname: 'KubeContainerOOMKilledTest' }, false],
  ];
  for (const [name, labels, expected] of rows) {
    it(`${expected ? 'takes' : 'ignores'} ${name} by default`, () => {
      assert.equal(matchesAnyRule(labels, defaults), expected);
    });
  }

  it('parses every operator, braces, quoting and escapes', () => {
    const rules = parseMatcherRules(
      '{alertname="A", severity!="info"}; team=~"pay.*" , env!~"dev|test"\nlabel="with \\"quote\\", comma"',
    );
    assert.equal(rules.length, 3);
    assert.deepEqual(rules[0], [
      { name: 'alertname', op: '=', value: 'A' },
      { name: 'severity', op: '!=', value: 'info' },
    ]);
    assert.deepEqual(rules[2], [{ name: 'label', op: '=', value: 'with "quote", comma' }]);
    assert.equal(matchesAnyRule({ alertname: 'A', severity: 'critical' }, rules), true);
    assert.equal(matchesAnyRule({ alertname: 'A', severity: 'info' }, rules), false);
    assert.equal(matchesAnyRule({ team: 'payments', env: 'prod' }, rules), true);
    assert.equal(matchesAnyRule({ team: 'payments', env: 'dev' }, rules), false);
    assert.equal(matchesAnyRule({ label: 'with "quote", comma' }, rules), true);
  });

  it('reads a missing label as empty, as Prometheus does', () => {
    const rules = parseMatcherRules('alertname="A",team=""');
    assert.equal(matchesAnyRule({ alertname: 'A' }, rules), true);
    assert.equal(matchesAnyRule({ alertname: 'A', team: 'x' }, rules), false);
  });

  const bad: Array<[string, string, RegExp]> = [
    // an empty override would silently match nothing
    ['an empty text', ' ; ', /no matcher rules/],
    // a label name must come first
    ['a missing name', '="x"', /expected a label name/],
    // an unknown operator
    ['a bad operator', 'alertname~"x"', /expected =, !=, =~ or !~/],
    // an unclosed quote
    ['an unterminated quote', 'alertname="x', /unterminated quoted value/],
    // an invalid regex
    ['a bad regex', 'alertname=~"(unclosed"', /invalid regex for alertname/],
    // an unclosed brace
    ['an unclosed brace', '{alertname="x"', /expected }/],
    // rules need a separator
    ['two rules without a separator', 'a="1" b="2"', /expected ; or a new line/],
  ];
  for (const [name, text, reason] of bad) {
    it(`refuses ${name}`, () => {
      assert.throws(
        () => parseMatcherRules(text),
        (e: unknown) => e instanceof OomBotError && e.code === 'config_invalid' && reason.test(e.message),
      );
    });
  }
});
