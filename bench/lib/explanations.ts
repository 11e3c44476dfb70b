/**
 * Why a goal is missed, from the profiles taken while building the benchmark. bench/run.ts puts
 * the one for each missed headline (by id) into the closing note of BENCHMARKS.md. Reproduce the
 * acknowledgement profile with `BENCH_CPU_PROF=DIR node bench/run.ts --only ack --quick` and
 * `node bench/profile-summary.ts DIR`.
 */
export const EXPLANATIONS: Record<string, string> = {
  'ack-p99': [
    'With 200 connections in a closed loop both apps run at full CPU, so latency is connections / throughput',
    "(Little's law) and the p99 ratio is the ratio of CPU per request. The CPU profile of `oom-bot serve` under",
    "this load (`node --cpu-prof`, bench/profile-summary.ts): @slack/bolt's own request path (signature check",
    'through tsscmp, which HMACs both sides with a fresh random key, form parsing, middleware) is about 57 % of the',
    'time inclusive, the same work the bare app does; the durable enqueue is about 29 % (BullMQ 17 %: msgpackr',
    "serialisation, the Lua script's arguments; ioredis 12 %), and the synchronous pino log line per request about",
    '10 % (writeBuffer/writev). The enqueue and the log line are what the bare app does not do, and Redis, running',
    'one Lua script per job, takes its CPU from the same two cores. Acking before the enqueue was tried: at',
    'saturation it made the bot slower (about 2,000 acks/s instead of about 2,600), since the CPU per request is',
    'the same and the enqueues pile up in the Redis client, and it would acknowledge work that may never be',
    'queued; the handler keeps enqueue-then-ack (with its 2 s limit and the "unavailable" answer). Logging at',
    "`warn` gains about 5 %. What matters to a user holds: the p99 stays a few percent of Slack's 3,000 ms.",
  ].join(' '),
  'ttd-runbook': [
    "The runbook's figure is machine time only: six fresh processes one after another (kubectl about 80-150 ms",
    'each: start-up of a large Go binary, TLS to the apiserver, its discovery cache; curl about 35 ms). A person',
    "running it reads and types between the commands for minutes; none of that is counted. Where the bot's time",
    "goes (the fake Slack's timestamps and the evidence timing above): the first root message about 70 ms after the",
    'request (queue, target resolution, post), evidence about 150-250 ms, the diagnosis about 100 ms of CPU (engine',
    "section), then the verdict waits for Slack's pace: the root went to the same channel less than a second",
    'before, and the bot sends at most one message per second per channel. The root used to be updated to',
    '"analysing" in between, which put the verdict two pace intervals after the root (p50 2.1 s); that update is',
    'gone (src/jobs/diagnose-processor.ts), and the verdict now comes one interval after the root. Those 1,000 ms',
    "of pace alone are more than the runbook's machine time, and 0.25x of it (about 120-160 ms) is less than the",
    "evidence collection's own slowest call, a 24 h range query at 15 s steps. The goal could only be met by",
    "posting the root together with the verdict (no progress message), which would leave an alert storm's",
    'channels silent while evidence is gathered.',
  ].join(' '),
  'ttd-evidence': [
    'collectEvidence runs in two dependent phases: the cluster snapshot and the container queries in parallel, then',
    'the four node queries, which need the node names the snapshot or the working-set series return. So its floor',
    'is the slowest call of the first phase plus the slowest of the second, not a single call.',
  ].join(' '),
  'storm-pace': [
    'Each method is paced by its own documented limit (src/slack/poster.ts): posts and uploads one per second per',
    "channel after the previous answer, in a lane per channel; chat.update within Tier 3's 50 calls in any 60 s",
    'for the workspace, one per second per channel, updates of one message coalesced; conversations.* within',
    "Tier 3 and the upload steps within Tier 4. A count above a limit means a call went outside the poster's lanes.",
  ].join(' '),
  'storm-time': [
    'The verdicts wait for two things: the diagnoses themselves (WORKER_CONCURRENCY at a time, CPU-bound on a',
    "loaded 2-core machine: evidence, engine and chart) and chat.update's budget of 50 a minute for the workspace.",
    'The floor counts every update made: beyond 50 the window has to slide, so one routine update (progress,',
    'counters) too many in the first minute puts the last verdicts after the 60 s mark. Verdicts go first: routine',
    "updates yield while other roots await their verdicts (a root's waiting progress is replaced by its verdict),",
    'and the diagnose jobs no longer wait for the posting pace (the sender queue delivers the thread), so the last',
    'verdict comes with the last diagnosis. Everything delivered takes longer than the floor because the threads',
    'of the last diagnoses start when those finish, not at the first alert.',
  ].join(' '),
  'storm-rss': [
    "The worker's peak is V8's heap (the storm table shows the heap at the peak) plus the chart renderer's native",
    'buffers: each of the WORKER_CONCURRENCY diagnoses holds 24 h of series at 15 s steps for every pod as',
    'JavaScript arrays and the parsed Prometheus JSON they came from. The sender adds little (a delivery is the',
    'rendered messages and one PNG). Holding series as typed arrays and a heap cap are the levers (memory section).',
  ].join(' '),
  'memory-web': [
    "Node 24 itself is about 45 MiB of RSS; loading @slack/bolt brings a process to the bare app's figure, and",
    "BullMQ, ioredis, zod, pino, prom-client and the bot's own modules add their code and heap. The Kubernetes",
    'client (about 80 MiB on its own), prometheus-query and resvg are now loaded on first use',
    '(src/sources/kube-client.ts, src/sources/prometheus.ts, src/slack/chart.ts), so the web process, which',
    'never needs them, no longer loads them: its idle RSS went from about 207 MiB to the figure above. Under the',
    "storm's webhook deliveries its young generation grows (V8 sizes the semi-spaces to the allocation rate), which",
    'is the difference between idle and peak.',
  ].join(' '),
  'memory-worker': [
    'Idle, the worker is the web process plus the BullMQ workers (the Kubernetes client and prometheus-query load',
    "with the first job). Under the storm most of the growth is V8's heap (the storm section shows the heap reserved at the peak; the rest is code, the chart renderer's native buffers and allocator arenas):",
    'each diagnosis holds 24 h of series at 15 s steps for every pod as JavaScript arrays (about 400,000 samples for',
    '10 pods, engine section), the parsed Prometheus JSON they came from, and the PNG chart being drawn, and',
    'WORKER_CONCURRENCY of them run at once; V8 grows the heap rather than collect under that allocation rate.',
    'The manifests cap the old space (--max-old-space-size) and size the limit from the peak; staying under',
    '150 MiB would take fewer concurrent diagnoses per process (more replicas) or a cap on the heap, at some',
    'cost in speed (measured with scripts/measure-memory.ts: 37 s instead of 26 s for 12 diagnoses at a 128 MiB',
    'cap).',
  ].join(' '),
};
