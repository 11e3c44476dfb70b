/**
 * The Bolt app: `/oom`, button clicks, and health routes. Handlers validate, acknowledge at once
 * and enqueue; the work happens in the workers.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { App as BoltApp, Logger as BoltLogger, CustomRoute, LogLevel } from '@slack/bolt';
import bolt from '@slack/bolt';
import type { Config } from './config.ts';
import { describeError, OomBotError } from './errors.ts';
import type { IncidentStore } from './incidents/store.ts';
import type { Logger } from './logger.ts';
import { type Metrics, metricsHandler } from './metrics.ts';
import type { DiagnoseJobData, RisksJobData } from './queues/payloads.ts';
import { type RemediationActionDeps, registerRemediationActions } from './remediation/slack-actions.ts';
import { ACTION_IDS } from './render/action-ids.ts';
import { escapeMrkdwn } from './render/mrkdwn.ts';
import { cacheGroupMembers, checkOomRequest, type GroupMembers } from './slack/allow-list.ts';
import { parseOomCommand, USAGE } from './slack/command.ts';
import { createSlackReceiver } from './slack/receiver.ts';
import type { ReplayGuard } from './slack/replay-guard.ts';
import { withTimeout } from './timeout.ts';

const { App } = bolt;

interface SlackAppDeps {
  config: Readonly<Config>;
  logger: Logger;
  enqueue(data: DiagnoseJobData): Promise<string>;
  /** `/oom risks`: a forecast scan whose answer is posted in the channel; without it, refused. */
  enqueueRisks?(data: RisksJobData): Promise<string>;
  incidents: IncidentStore;
  /** Readiness: resolves when the queue's Redis answers. */
  checkReady(): Promise<void>;
  /** Extra HTTP routes (the Alertmanager webhook, metrics). */
  routes?: CustomRoute[];
  /** Skip Bolt's auth.test at start-up (tests, or when the ids are known). */
  botIds?: { botId: string; botUserId: string };
  /** Served on GET /metrics, and counts the requests handled. */
  metrics?: Metrics;
  /** Apply, Preview, Create VPA, Scale out and Rollback; without it those buttons do nothing. */
  remediation?: RemediationActionDeps;
  /** Refuses replayed signed requests (HTTP mode). */
  replay?: ReplayGuard;
  /** User group members for OOM_ALLOWED_USERGROUPS (default: usergroups.users.list, cached). */
  groupMembers?: GroupMembers;
}

/** How long the user group check may take: the slash command must be acknowledged within 3 s. */
const USER_GROUP_TIMEOUT_MS = 1500;

/** A request id for the logs: Slack's trigger_id when there is one, else a fresh one. */
function requestIdOf(triggerId: string | undefined): string {
  return triggerId && triggerId.length <= 128 ? triggerId : randomUUID();
}

const ENQUEUE_TIMEOUT_MS = 2000;

function queueTimeout(ms: number): () => OomBotError {
  return () => new OomBotError('queue_unavailable', `queue did not answer in ${ms} ms`);
}

export const UNAVAILABLE_TEXT =
  ':warning: oom-bot is temporarily unavailable (its queue does not answer). Try again in a minute; nothing was started.';

function toBoltLogger(logger: Logger): BoltLogger {
  let level = 'info';
  const child = logger.child({ component: 'bolt' });
  return {
    debug: (...msg: unknown[]) => child.debug(msg.map(String).join(' ')),
    info: (...msg: unknown[]) => child.info(msg.map(String).join(' ')),
    warn: (...msg: unknown[]) => child.warn(msg.map(String).join(' ')),
    error: (...msg: unknown[]) => child.error(msg.map((m) => describeError(m)).join(' ')),
    setLevel: (l: LogLevel) => {
      level = l;
    },
    getLevel: () => level as LogLevel,
    setName: () => undefined,
  };
}

function healthRoutes(deps: SlackAppDeps): CustomRoute[] {
  const send = (res: ServerResponse, status: number, body: object) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  return [
    {
      path: '/healthz',
      method: ['GET'],
      handler: (_req: IncomingMessage, res: ServerResponse) => send(res, 200, { ok: true }),
    },
    {
      path: '/readyz',
      method: ['GET'],
      handler: (_req: IncomingMessage, res: ServerResponse) => {
        withTimeout(deps.checkReady(), 1000, queueTimeout(1000)).then(
          () => send(res, 200, { ok: true }),
          (error) => send(res, 503, { ok: false, reason: describeError(error) }),
        );
      },
    },
    ...(deps.metrics ? [{ path: '/metrics', method: ['GET'], handler: metricsHandler(deps.metrics) }] : []),
  ];
}

export function createSlackApp(deps: SlackAppDeps): BoltApp {
  const { config, logger } = deps;
  const boltLogger = toBoltLogger(logger);
  const customRoutes = [...healthRoutes(deps), ...(deps.routes ?? [])];
  const clientOptions = config.slack.apiUrl ? { slackApiUrl: config.slack.apiUrl } : undefined;
  const app = new App({
    token: config.slack.botToken,
    logger: boltLogger,
    clientOptions,
    ...(config.slack.socketMode
      ? {
          signingSecret: 'unused-in-socket-mode',
          socketMode: true,
          appToken: config.slack.appToken,
          // Socket Mode serves the custom routes (health, metrics) on installerOptions.port; its
          // client calls apps.connections.open with installerOptions.clientOptions (SLACK_API_URL)
          installerOptions: { port: config.port, clientOptions },
          customRoutes,
        }
      : {
          // HTTP mode: Bolt's receiver behind the timestamp, body and timeout guard
          receiver: createSlackReceiver({
            signingSecret: config.slack.signingSecret ?? '',
            port: config.port,
            customRoutes,
            logger: boltLogger,
            replay: deps.replay,
          }),
        }),
    ...(deps.botIds ?? {}),
  });

  const counted = (kind: string, outcome: string) => deps.metrics?.slackRequests.inc({ kind, outcome });
  const members = deps.groupMembers ?? cacheGroupMembers(app.client);
  const membersOf: GroupMembers = (group) =>
    withTimeout(members(group), USER_GROUP_TIMEOUT_MS, () => new Error('user group lookup timed out'));

  type Ack = (response: { response_type: 'ephemeral'; text: string }) => Promise<void>;
  /**
   * Queue a slash command's job within the enqueue deadline; when Redis does not take it, answer
   * "temporarily unavailable" and return undefined. Counted and logged either way.
   */
  const enqueueOrRefuse = async (
    enqueue: () => Promise<string>,
    ack: Ack,
    log: Logger,
    { what, ...fields }: { what: string } & Record<string, string | undefined>,
  ): Promise<string | undefined> => {
    try {
      const jobId = await withTimeout(enqueue(), ENQUEUE_TIMEOUT_MS, queueTimeout(ENQUEUE_TIMEOUT_MS));
      log.info({ jobId, ...fields }, `${what} enqueued`);
      counted('slash_command', 'enqueued');
      return jobId;
    } catch (error) {
      log.error({ err: describeError(error) }, 'enqueue failed');
      counted('slash_command', 'unavailable');
      await ack({ response_type: 'ephemeral', text: UNAVAILABLE_TEXT });
      return undefined;
    }
  };
  const answerRisks = async (
    parsed: { namespace?: string; cluster?: string },
    command: { channel_id: string; response_url: string; user_id: string },
    ack: Ack,
    requestId: string,
    log: Logger,
  ) => {
    const enqueueRisks = deps.enqueueRisks;
    const data: RisksJobData = {
      kind: 'ask',
      namespace: parsed.namespace,
      cluster: parsed.cluster,
      reply: { channel: command.channel_id, responseUrl: command.response_url, userId: command.user_id },
      requestedAt: Date.now() / 1000,
      requestId,
    };
    const queued = await enqueueOrRefuse(
      async () => {
        if (!enqueueRisks) throw new OomBotError('queue_unavailable', 'no forecast queue');
        return enqueueRisks(data);
      },
      ack,
      log,
      { what: '/oom risks', namespace: parsed.namespace },
    );
    if (!queued) return;
    const where = parsed.namespace ? ` in \`${parsed.namespace}\`` : '';
    await ack({
      response_type: 'ephemeral',
      text: `:crystal_ball: Scanning every container${where} for OOM risks… the answer will appear in this channel.`,
    });
  };

  app.command('/oom', async ({ command, ack }) => {
    const requestId = requestIdOf(command.trigger_id);
    const log = logger.child({ requestId, user: command.user_id, channel: command.channel_id });
    const parsed = parseOomCommand(command.text ?? '');
    if (parsed.kind === 'help') {
      counted('slash_command', 'help');
      await ack({ response_type: 'ephemeral', text: USAGE });
      return;
    }
    if (parsed.kind === 'invalid') {
      log.info({ reason: parsed.reason }, '/oom refused');
      counted('slash_command', 'invalid');
      // the reason quotes the user's text: escaped, so `<!channel>` is shown, not broadcast
      await ack({ response_type: 'ephemeral', text: `:x: ${escapeMrkdwn(parsed.reason)}\n${USAGE}` });
      return;
    }
    const allowed = await checkOomRequest(
      { channel: command.channel_id, user: command.user_id, namespace: parsed.namespace },
      config.allow,
      membersOf,
    );
    if (!allowed.allowed) {
      log.info({ rule: allowed.rule, namespace: parsed.namespace }, '/oom refused by an allow-list');
      counted('slash_command', 'not_allowed');
      await ack({ response_type: 'ephemeral', text: allowed.text });
      return;
    }
    const namespace = allowed.namespace;
    if (parsed.kind === 'risks') {
      await answerRisks({ ...parsed, namespace }, command, ack, requestId, log);
      return;
    }
    const data: DiagnoseJobData = {
      request: { name: parsed.name, namespace, cluster: parsed.cluster },
      reply: { channel: command.channel_id, responseUrl: command.response_url, userId: command.user_id },
      trigger: 'slash_command',
      requestedAt: Date.now() / 1000,
      requestId,
    };
    const queued = await enqueueOrRefuse(() => deps.enqueue(data), ack, log, {
      what: '/oom',
      target: parsed.name,
      namespace,
      cluster: parsed.cluster,
    });
    if (!queued) return;
    const where = namespace ? ` in \`${namespace}\`` : '';
    await ack({
      response_type: 'ephemeral',
      text: `:hourglass_flowing_sand: Diagnosing \`${parsed.name}\`${where}… the answer will appear in this channel.`,
    });
  });

  app.action(ACTION_IDS.rediagnose, async ({ ack, body, action, respond }) => {
    await ack();
    const requestId = requestIdOf((body as { trigger_id?: string }).trigger_id);
    const log = logger.child({ requestId, user: body.user.id, action: ACTION_IDS.rediagnose });
    const id = (action as { value?: string }).value ?? '';
    const incident = await deps.incidents.get(id);
    if (!incident) {
      log.info({ incidentId: id }, 'incident expired');
      counted('button', 'expired');
      await respond({
        response_type: 'ephemeral',
        replace_original: false,
        text: 'This incident has expired; run `/oom` again.',
      });
      return;
    }
    try {
      const jobId = await withTimeout(
        deps.enqueue({
          request: incident.request,
          reply: { channel: incident.channel, threadTs: incident.rootTs, userId: body.user.id },
          trigger: 'button',
          requestedAt: Date.now() / 1000,
          requestId,
        }),
        ENQUEUE_TIMEOUT_MS,
        queueTimeout(ENQUEUE_TIMEOUT_MS),
      );
      log.info({ jobId, incidentId: id }, 're-diagnosis enqueued');
      counted('button', 'enqueued');
    } catch (error) {
      log.error({ err: describeError(error) }, 'enqueue failed');
      counted('button', 'unavailable');
      await respond({ response_type: 'ephemeral', replace_original: false, text: UNAVAILABLE_TEXT });
    }
  });

  app.action(ACTION_IDS.dismiss, async ({ ack, body, action, client }) => {
    await ack();
    const id = (action as { value?: string }).value ?? '';
    const incident = await deps.incidents.get(id);
    if (!incident) return;
    await deps.incidents.save({
      ...incident,
      state: 'dismissed',
      dismissedBy: body.user.id,
      updatedAt: Date.now() / 1000,
    });
    // Dismiss revokes the incident's remediation buttons: later clicks and queued jobs are refused
    await deps.remediation?.plans.revokeIncident(id, body.user.id, Date.now() / 1000);
    logger.info(
      {
        requestId: requestIdOf((body as { trigger_id?: string }).trigger_id),
        user: body.user.id,
        incidentId: id,
      },
      'incident dismissed',
    );
    counted('button', 'dismissed');
    await client.chat.postMessage({
      channel: incident.channel,
      thread_ts: incident.rootTs,
      text: `Dismissed by <@${body.user.id}> at ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC.`,
    });
  });

  if (deps.remediation) registerRemediationActions(app, deps.remediation);

  app.error(async (error) => {
    logger.error({ err: describeError(error) }, 'slack handler failed');
  });
  return app;
}
