import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  andMore,
  bulletList,
  codeBlock,
  escapeKeepingUserMentions,
  escapeMrkdwn,
  inlineCode,
  joinLines,
  takeAtMost,
  truncate,
  unescapeMrkdwn,
} from '../../../src/render/mrkdwn.ts';

describe('render/mrkdwn', () => {
  describe('escapeMrkdwn', () => {
    // input -> escaped, one row per case
    const CASES: Array<[string, string]> = [
      ['auth-service', 'auth-service'], // nothing to do
      ['<!channel>', '&lt;!channel&gt;'], // broadcast cannot notify
      ['<@U0123ABC>', '&lt;@U0123ABC&gt;'], // mention cannot ping
      ['<https://x.example|click>', '&lt;https://x.example|click&gt;'], // no disguised link
      ['a & b', 'a &amp; b'],
      ['&lt;', '&amp;lt;'], // an entity in the input stays visible as typed
      ['*bold* _it_ `code`', '*bold* _it_ `code`'], // only &, <, > are special
    ];
    for (const [input, expected] of CASES) {
      it(`escapes ${JSON.stringify(input)}`, () => {
        assert.equal(escapeMrkdwn(input), expected);
        assert.equal(unescapeMrkdwn(expected), input);
      });
    }

    it('round-trips any string (property)', () => {
      fc.assert(
        fc.property(fc.string(), (s) => {
          const e = escapeMrkdwn(s);
          assert.doesNotMatch(e, /[<>]/);
          assert.equal(unescapeMrkdwn(e), s);
        }),
      );
    });
  });

  it('keeps user mentions but escapes everything else', () => {
    assert.equal(
      escapeKeepingUserMentions('Applied by <@U0123ABC> for <!here> & <#C123>'),
      'Applied by <@U0123ABC> for &lt;!here&gt; &amp; &lt;#C123&gt;',
    );
  });

  describe('codeBlock', () => {
    it('fences and escapes the text', () => {
      assert.equal(
        codeBlock("cat <<'EOF' > x && echo"),
        "```\ncat &lt;&lt;'EOF' &gt; x &amp;&amp; echo\n```",
      );
    });

    it('cannot be closed early by backticks in the text', () => {
      const block = codeBlock('echo ```; rm -rf');
      assert.equal((block.match(/```/g) ?? []).length, 2);
      assert.ok(block.includes('rm -rf'));
    });

    it('cuts a long body at a line end, keeps the fence closed, and stays within the limit', () => {
      const text = Array.from({ length: 100 }, (_, i) => `kubectl get pod p-${i}`).join('\n');
      const block = codeBlock(text, 300);
      assert.ok(block.length <= 300, `${block.length}`);
      assert.match(block, /^```\nkubectl get pod p-0\n/);
      assert.match(block, /\n…\n```$/);
      assert.match(block, /p-\d+\n…/, 'the cut falls at a line end');
    });

    it('stays within any limit for any text (property)', () => {
      fc.assert(
        fc.property(fc.string({ maxLength: 2000 }), fc.integer({ min: 20, max: 3000 }), (s, max) => {
          const block = codeBlock(s, max);
          assert.ok(block.length <= max);
          assert.ok(block.startsWith('```\n') && block.endsWith('\n```'));
          assert.doesNotMatch(block, /[<>]/);
        }),
      );
    });
  });

  it('writes inline code without a way out', () => {
    assert.equal(inlineCode('a`b <c>'), '`aʼb &lt;c&gt;`');
  });

  describe('truncate', () => {
    it('leaves short text alone and ends cut text with an ellipsis', () => {
      assert.equal(truncate('short', 10), 'short');
      assert.equal(truncate('abcdefghij', 5), 'abcd…');
    });

    it('never cuts an entity in half', () => {
      assert.equal(truncate('ab &amp; cd', 6), 'ab…');
      assert.equal(truncate('&lt;&lt;&lt;', 7), '&lt;…');
    });

    it('never splits a surrogate pair', () => {
      assert.equal(truncate('ab😀cd', 4), 'ab…');
    });

    it('closes a code fence it cut open', () => {
      const cut = truncate(`see:\n\`\`\`\n${'x'.repeat(100)}\n\`\`\``, 40);
      assert.ok(cut.length <= 40);
      assert.equal((cut.match(/```/g) ?? []).length, 2);
    });

    it('is never longer than asked (property)', () => {
      fc.assert(
        fc.property(
          fc.string({ unit: 'grapheme', maxLength: 300 }),
          fc.integer({ min: 0, max: 300 }),
          (s, n) => {
            const cut = truncate(escapeMrkdwn(s), n);
            assert.ok(cut.length <= n);
            assert.doesNotMatch(cut, /&(?:a|am|l|g)?(?:…|$)/, 'no partial entity');
          },
        ),
      );
    });
  });

  describe('lists', () => {
    it('counts what was left out', () => {
      assert.equal(andMore(3), '…and 3 more');
      assert.deepEqual(takeAtMost([1, 2, 3, 4], 2), { shown: [1, 2], more: 2 });
    });

    it('joins lines within the budget, then says how many more', () => {
      const lines = Array.from({ length: 50 }, (_, i) => `line number ${i}`);
      const text = joinLines(lines, 100);
      assert.ok(text.length <= 100);
      const shown = text.split('\n');
      const more = Number(/…and (\d+) more/.exec(shown.at(-1) ?? '')?.[1]);
      assert.equal(shown.length - 1 + more, 50, 'shown + counted = all');
    });

    it('cuts a single line too long for the budget', () => {
      const text = joinLines(['x'.repeat(500), 'y'], 100);
      assert.ok(text.length <= 100);
      assert.match(text, /x…\n_…and 1 more_$/);
    });

    it('bullets lines', () => {
      assert.equal(bulletList(['a', 'b'], 100), '• a\n• b');
    });

    it('never exceeds the budget (property)', () => {
      fc.assert(
        fc.property(
          fc.array(fc.string({ maxLength: 200 }), { maxLength: 80 }),
          fc.integer({ min: 30, max: 3000 }),
          (ls, n) => {
            assert.ok(joinLines(ls, n).length <= n);
          },
        ),
      );
    });
  });
});
