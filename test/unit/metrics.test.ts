// The bot's Prometheus metrics: names, labels, the queue gauge sampled at scrape time (and left out
// when Redis does not answer), Slack errors classified, jobs timed.
import assert from 'node:assert/strict';
import { createMetrics, slackErrorCode } from '../../src/metrics.ts';

const never = () => new Promise<Record<string, number>>(() => undefined);

describe('metrics', () => {
  it('exposes every oom_bot_ metric in the Prometheus text format', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const { contentType, body } = await metrics.render();
    assert.match(contentType, /^text\/plain; version=0\.0\.4/);
    for (const name of [
      'oom_bot_queue_jobs',
      'oom_bot_job_duration_seconds',
      'oom_bot_diagnoses_total',
      'oom_bot_slack_api_errors_total',
      'oom_bot_slack_rate_limited_total',
      'oom_bot_approval_decisions_total',
      'oom_bot_slack_requests_total',
    ])
      assert.match(body, new RegExp(`# TYPE ${name} `), name);
  });

  it('adds the process metrics (RSS, heap, event loop) under the same prefix', async () => {
    const { body } = await createMetrics().render();
    assert.match(body, /^oom_bot_process_resident_memory_bytes \d+/m);
    assert.match(body, /^oom_bot_nodejs_eventloop_lag_seconds /m);
  });

  it('samples queue depth at scrape time, and leaves a queue out when Redis does not answer', async () => {
    const metrics = createMetrics({ defaultMetrics: false, queueTimeoutMs: 50 });
    let waiting = 3;
    metrics.watchQueue('diagnose', async () => ({ waiting, active: 1, delayed: 0, failed: 2 }));
    metrics.watchQueue('remediate', never);
    let { body } = await metrics.render();
    assert.match(body, /oom_bot_queue_jobs\{queue="diagnose",state="waiting"\} 3/);
    assert.match(body, /oom_bot_queue_jobs\{queue="diagnose",state="failed"\} 2/);
    assert.match(body, /oom_bot_queue_jobs\{queue="diagnose",state="prioritized"\} 0/);
    assert.doesNotMatch(body, /queue="remediate"/);
    waiting = 0;
    ({ body } = await metrics.render());
    assert.match(body, /oom_bot_queue_jobs\{queue="diagnose",state="waiting"\} 0/);
  });

  it('classifies Slack failures: rate limits, platform errors, HTTP errors', async () => {
    // one row per kind of error @slack/web-api throws
    const table: Array<[unknown, string]> = [
      [{ code: 'slack_webapi_rate_limited_error', retryAfter: 3 }, 'ratelimited'],
      [
        { code: 'slack_webapi_platform_error', data: { ok: false, error: 'invalid_blocks' } },
        'invalid_blocks',
      ],
      [{ code: 'slack_webapi_http_error', statusCode: 503 }, 'http_503'],
      [{ code: 'slack_webapi_request_error' }, 'request_error'],
      [new Error('socket hang up'), 'unknown'],
      [undefined, 'unknown'],
    ];
    for (const [error, code] of table) assert.equal(slackErrorCode(error), code);
    const metrics = createMetrics({ defaultMetrics: false });
    metrics.recordSlackError('chat.postMessage', table[0]?.[0]);
    metrics.recordSlackError('chat.update', table[1]?.[0]);
    const { body } = await metrics.render();
    assert.match(body, /oom_bot_slack_rate_limited_total\{method="chat.postMessage"\} 1/);
    assert.match(body, /oom_bot_slack_api_errors_total\{method="chat.postMessage",error="ratelimited"\} 1/);
    assert.match(body, /oom_bot_slack_api_errors_total\{method="chat.update",error="invalid_blocks"\} 1/);
    assert.doesNotMatch(body, /oom_bot_slack_rate_limited_total\{method="chat.update"\}/);
  });

  it('times jobs by outcome and passes results and errors through', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    assert.equal(await metrics.timeJob('diagnose', async () => 42), 42);
    await assert.rejects(
      metrics.timeJob('diagnose', async () => {
        throw new Error('boom');
      }),
      /boom/,
    );
    const { body } = await metrics.render();
    assert.match(body, /oom_bot_job_duration_seconds_count\{queue="diagnose",outcome="completed"\} 1/);
    assert.match(body, /oom_bot_job_duration_seconds_count\{queue="diagnose",outcome="failed"\} 1/);
  });

  it('keeps each registry to itself (no global state between processes or tests)', async () => {
    const a = createMetrics({ defaultMetrics: false });
    const b = createMetrics({ defaultMetrics: false });
    a.diagnoses.inc({ cause: 'memory_leak', trigger: 'alert' });
    assert.match((await a.render()).body, /oom_bot_diagnoses_total\{cause="memory_leak",trigger="alert"\} 1/);
    assert.doesNotMatch((await b.render()).body, /memory_leak/);
  });
});
