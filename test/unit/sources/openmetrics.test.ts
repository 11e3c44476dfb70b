import assert from 'node:assert/strict';
import { OomBotError } from '../../../src/errors.ts';
import { parseOpenMetrics } from '../../../src/sources/openmetrics.ts';

describe('parseOpenMetrics', () => {
  it('groups samples by series, keeping labels and time order', () => {
    const text = [
      '# TYPE up gauge',
      'up{job="a",pod="x-1"} 1 100',
      'up{job="a",pod="x-2"} 0 100',
      'up{job="a",pod="x-1"} 0.5 115',
      'no_labels 7 100',
      '# EOF',
    ].join('\n');
    const store = parseOpenMetrics(text);
    const up = store.get('up') ?? [];
    assert.equal(up.length, 2);
    assert.deepEqual(up[0], { labels: { job: 'a', pod: 'x-1' }, t: [100, 115], v: [1, 0.5] });
    assert.deepEqual(store.get('no_labels')?.[0]?.v, [7]);
  });

  it('unescapes label values', () => {
    const store = parseOpenMetrics('m{msg="a \\"quoted\\" \\\\ value, with {braces}"} 1 1\n# EOF\n');
    assert.equal(store.get('m')?.[0]?.labels.msg, 'a "quoted" \\ value, with {braces}');
  });

  const bad: Array<[string, string, RegExp]> = [
    ['a missing # EOF', 'm 1 1\n', /missing "# EOF"/],
    ['a sample without a timestamp', 'm 1\n# EOF\n', /:1: every sample needs a timestamp/],
    ['time going backwards', 'm 1 10\nm 1 5\n# EOF\n', /:2: sample of m goes back in time/],
    ['content after # EOF', 'm 1 1\n# EOF\nm 1 2\n', /:3: content after # EOF/],
    ['an unterminated label set', 'm{a="b" 1 1\n# EOF\n', /:1: unterminated label set/],
    ['a bad value', 'm{a="b"} one 1\n# EOF\n', /:1: invalid sample value/],
  ];
  for (const [name, text, message] of bad) {
    it(`refuses ${name}, naming file and line`, () => {
      assert.throws(
        () => parseOpenMetrics(text, 'x/metrics.om'),
        (e: unknown) =>
          e instanceof OomBotError &&
          e.code === 'scenario_unreadable' &&
          message.test(e.userMessage) &&
          e.userMessage.includes('x/metrics.om'),
      );
    });
  }
});
