/**
 * The baseline of the acknowledgement and intake benchmarks: a Bolt app (the same @slack/bolt,
 * HTTP receiver and signature check as the bot) whose `/oom` handler only acks, and whose
 * webhook route checks the bearer token, parses the JSON body and answers 202. No Redis, no
 * logging per request. Started by processes.ts with PORT, SLACK_SIGNING_SECRET, ALERTMANAGER_TOKEN.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import bolt from '@slack/bolt';

const port = Number(process.env.PORT);
const token = process.env.ALERTMANAGER_TOKEN ?? '';

const app = new bolt.App({
  token: 'xoxb-bare-bolt-baseline',
  signingSecret: process.env.SLACK_SIGNING_SECRET ?? '',
  botId: 'B0BAREBOLT1',
  botUserId: 'U0BAREBOLT1',
  logLevel: bolt.LogLevel.ERROR,
  customRoutes: [
    {
      path: '/healthz',
      method: ['GET'],
      handler: (_req: IncomingMessage, res: ServerResponse) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"ok":true}');
      },
    },
    {
      path: '/alertmanager',
      method: ['POST'],
      handler: (req: IncomingMessage, res: ServerResponse) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          const ok = req.headers.authorization === `Bearer ${token}`;
          let alerts = 0;
          try {
            alerts = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { alerts: unknown[] }).alerts
              .length;
          } catch {
            res.writeHead(400).end();
            return;
          }
          res.writeHead(ok ? 202 : 401, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ status: 'accepted', received: alerts }));
        });
      },
    },
  ],
});

app.command('/oom', async ({ ack }) => {
  await ack();
});

await app.start(port);
process.on('SIGTERM', () => {
  app.stop().then(
    () => process.exit(0),
    () => process.exit(1),
  );
});
