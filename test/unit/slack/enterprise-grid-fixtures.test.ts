/**
 * The Slack fixture corpus (test/fixtures/slack): Enterprise Grid requests written from the
 * shapes Slack documents, signed and posted to the real Bolt app, with the ack and the diagnose
 * job each must produce (test/fixtures/slack/expected.json).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { App } from '@slack/bolt';
import { loadConfig } from '../../../src/config.ts';
import type { IncidentRecord } from '../../../src/incidents/store.ts';
import { createLogger } from '../../../src/logger.ts';
import type { DiagnoseJobData } from '../../../src/queues/payloads.ts';
import { createSlackApp } from '../../../src/slack-app.ts';
import { freePort } from '../../stack/ports.ts';
import { FAKE_SLACK_DEFAULTS as D } from '../../support/fake-slack.ts';
import { postSigned } from '../../support/slack-requests.ts';

const DIR = join(import.meta.dirname, '../../fixtures/slack');
const SECRET = 'fixture-grid-signing-secret-0123456789';
type Expected = {
  kind: 'slash_command' | 'block_actions';
  ackStatus: number;
  /** A fragment the ephemeral ack must show (slash commands answer in the ack body). */
  ackText?: string;
  enqueued: Pick<DiagnoseJobData, 'request' | 'reply' | 'trigger'>[];
};
const expected = JSON.parse(readFileSync(join(DIR, 'expected.json'), 'utf8')) as Record<string, Expected>;

/** The incident the block_actions fixture's "Diagnose again" button points at. */
const GRID_INCIDENT: IncidentRecord = {
  id: 'inc-fixture-grid-0001',
  request: { name: 'checkout-api', namespace: 'payments' },
  channel: 'C0GRIDOPS',
  rootTs: '1772461651.003900',
  state: 'diagnosed',
  updatedAt: 1772461660,
} as IncidentRecord;

/** The form body Slack posts: slash commands as fields, interactivity as one `payload` field. */
function formBodyOf(kind: Expected['kind'], fixture: Record<string, unknown>): string {
  if (kind === 'block_actions') return new URLSearchParams({ payload: JSON.stringify(fixture) }).toString();
  return new URLSearchParams(fixture as Record<string, string>).toString();
}

/** The parts of a job a user would notice, without the keys left undefined. */
function visiblePartsOf(job: DiagnoseJobData): Expected['enqueued'][number] {
  return JSON.parse(JSON.stringify({ request: job.request, reply: job.reply, trigger: job.trigger }));
}

describe('fixture corpus: Slack Enterprise Grid requests through the Bolt app', () => {
  let app: App;
  let url: string;
  const enqueued: DiagnoseJobData[] = [];

  before(async () => {
    const port = await freePort();
    const config = loadConfig(
      {
        SLACK_BOT_TOKEN: 'xoxb-fixture-token',
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
      incidents: {
        get: async (id: string) => (id === GRID_INCIDENT.id ? GRID_INCIDENT : undefined),
        save: async () => undefined,
      } as never,
      enqueue: async (data) => {
        enqueued.push(data);
        return `job-${enqueued.length}`;
      },
      checkReady: async () => undefined,
      botIds: { botId: D.botId, botUserId: D.botUserId },
    });
    await app.start();
    url = `http://127.0.0.1:${port}/slack/events`;
  });
  after(() => app.stop());

  it('has an expectation for every request in the folder', () => {
    const fixtures = readdirSync(DIR).filter((f) => f.endsWith('.json') && f !== 'expected.json');
    assert.deepEqual(fixtures.sort(), Object.keys(expected).sort());
  });

  for (const [file, want] of Object.entries(expected)) {
    it(`${file}: acked ${want.ackStatus}, ${want.enqueued.length} diagnosis enqueued`, async () => {
      enqueued.length = 0;
      const fixture = JSON.parse(readFileSync(join(DIR, file), 'utf8')) as Record<string, unknown>;
      const res = await postSigned(url, SECRET, formBodyOf(want.kind, fixture));
      assert.equal(res.status, want.ackStatus, res.body);
      if (want.ackText !== undefined) {
        const ack = res.json as { response_type?: string; text?: string };
        assert.equal(ack.response_type, 'ephemeral');
        assert.ok(String(ack.text).includes(want.ackText), String(ack.text));
      }
      assert.deepEqual(enqueued.map(visiblePartsOf), want.enqueued);
    });
  }
});
