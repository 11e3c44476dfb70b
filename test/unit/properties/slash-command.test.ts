/**
 * Property: the slash-command parser and the `/oom` handler, fed generated text. The parser
 * returns help, a valid request (DNS-1123 names, a sane context name), or a one-line reason;
 * through the real Bolt app (signed requests, an in-memory queue) every text is answered 200
 * with an ephemeral message whose mrkdwn shows the user's text, never a broadcast or a link, and
 * only valid requests are enqueued.
 */
import assert from 'node:assert/strict';
import type { App } from '@slack/bolt';
import fc from 'fast-check';
import { loadConfig } from '../../../src/config.ts';
import { createLogger } from '../../../src/logger.ts';
import type { DiagnoseJobData } from '../../../src/queues/payloads.ts';
import { DNS_1123_LABEL, parseOomCommand } from '../../../src/slack/command.ts';
import { createSlackApp } from '../../../src/slack-app.ts';
import { propertyRuns, propertySeed, report } from '../../reliability/intensity.ts';
import { freePort } from '../../stack/ports.ts';
import { FAKE_SLACK_DEFAULTS as D } from '../../support/fake-slack.ts';
import { postSigned, slashCommandBody } from '../../support/slack-requests.ts';

const SECRET = 'property-slash-secret-0123456789';
const LIVE_MARKUP = /<!(channel|here|everyone)|<@U|<#C|<https?:|<mailto:/;

const token = fc.oneof(
  fc.constantFrom(
    'auth-service',
    'payments',
    '-n',
    '--namespace',
    '--cluster',
    '--namespace=prod',
    'help',
    '-h',
    'prod',
    '--',
  ),
  fc.constantFrom(
    '<!channel>',
    '<@U0EVIL>',
    '<https://evil.example|x>',
    '*b*',
    '`c`',
    '&amp;',
    '\u202e',
    '\u0000',
  ),
  fc.stringMatching(/^[a-z0-9-]{1,70}$/),
  fc.string({ maxLength: 20 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
);
const commandText = fc.oneof(
  fc.array(token, { maxLength: 6 }).map((t) => t.join(' ')),
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc.string({ maxLength: 4000 }),
);

describe('property: the slash-command parser and handler', function () {
  this.timeout(300_000);
  const runs = propertyRuns();
  const seed = propertySeed();

  it('parses any text into help, a valid request, or a one-line reason', () => {
    const kinds = { help: 0, diagnose: 0, invalid: 0, risks: 0 };
    fc.assert(
      fc.property(commandText, (text) => {
        const parsed = parseOomCommand(text);
        kinds[parsed.kind]++;
        if (parsed.kind === 'diagnose') {
          assert.match(parsed.name, DNS_1123_LABEL);
          assert.ok(parsed.name.length <= 63);
          if (parsed.namespace !== undefined) assert.match(parsed.namespace, DNS_1123_LABEL);
          if (parsed.cluster !== undefined) assert.doesNotMatch(parsed.cluster, /[<>&\s`*]/);
        }
        if (parsed.kind === 'risks' && parsed.namespace !== undefined)
          assert.match(parsed.namespace, DNS_1123_LABEL);
        if (parsed.kind === 'invalid') assert.ok(parsed.reason.length > 0);
      }),
      { numRuns: runs * 10, seed },
    );
    report('property-slash-parser', { inputs: runs * 10, ...kinds, crashes: 0 });
    assert.ok(kinds.diagnose > 0 && kinds.invalid > 0 && kinds.help > 0, JSON.stringify(kinds));
  });

  describe('through the Bolt app', () => {
    let app: App;
    let url: string;
    const enqueued: DiagnoseJobData[] = [];

    before(async () => {
      const port = await freePort();
      const config = loadConfig(
        {
          SLACK_BOT_TOKEN: 'xoxb-property-token',
          APPROVAL_SIGNING_KEY: 'test-only-approval-signing-key-0123456789',
          SLACK_SIGNING_SECRET: SECRET,
          SLACK_API_URL: 'http://127.0.0.1:9/api/',
          PORT: String(port),
        },
        { mode: 'serve' },
      );
      app = createSlackApp({
        config,
        logger: createLogger({ level: 'silent', secrets: [] }),
        incidents: { get: async () => undefined, save: async () => undefined } as never,
        enqueue: async (data) => {
          enqueued.push(data);
          return 'job';
        },
        checkReady: async () => undefined,
        botIds: { botId: D.botId, botUserId: D.botUserId },
      });
      await app.start();
      url = `http://127.0.0.1:${port}/slack/events`;
    });
    after(() => app.stop());

    it('answers every text 200 and ephemeral, shows the text inert, and enqueues only valid requests', async () => {
      let answered = 0;
      await fc.assert(
        fc.asyncProperty(commandText, async (text) => {
          const before = enqueued.length;
          const res = await postSigned(url, SECRET, slashCommandBody({ text }));
          assert.equal(res.status, 200, `HTTP ${res.status} for ${JSON.stringify(text)}`);
          const body = res.json as { response_type?: string; text?: string };
          assert.equal(body.response_type, 'ephemeral');
          assert.doesNotMatch(String(body.text), LIVE_MARKUP);
          const parsed = parseOomCommand(text);
          assert.equal(enqueued.length - before, parsed.kind === 'diagnose' ? 1 : 0);
          answered++;
        }),
        { numRuns: runs, seed },
      );
      report('property-slash-handler', { inputs: answered, enqueued: enqueued.length, status5xx: 0 });
    });
  });
});
