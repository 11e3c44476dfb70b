/**
 * Why a goal is missed, from the profiles taken while building the benchmark. bench/run.ts puts
 * the one for each missed headline (by id) into the closing note of BENCHMARKS.md. Reproduce the
 * acknowledgement profile with `BENCH_CPU_PROF=DIR node bench/run.ts --only ack --quick` and
 * `node bench/profile-summary.ts DIR`.
 */
/** A diagnosis on BIG against SMALL: the same for both modes (with and without a namespace). */
const SCALE_WALL = [
  'The Kubernetes bytes and the number of calls are the same on both sizes (every read is a name field selector,',
  "a label selector, a GET or an involvedObject field selector), and so is the bot's memory: the extra wall time",
  'is spent in the apiserver, which this bench does not time per call. The likely reason: a list selected by',
  'name, labels or involvedObject is filtered object by object over the kind in the namespace asked, or in the',
  'whole cluster without one (20,000 Pods and Events, 5,000 Deployments and Services on BIG), on the same 2',
  'cores as the bot and the load generator. Serving these reads from a metadata watch cache inside the worker',
  "would move that work into the bot and hold every object's metadata in its memory; it was not built. The",
  'figure moves with the machine: a quiet run gave 1.41x with a namespace and 1.55x without, a run beside a full',
  'test run 1.80x and 1.39x.',
].join(' ');

export const EXPLANATIONS: Record<string, string> = {
  'ack-p99': [
    'With 200 connections in a closed loop both apps run at full CPU, so latency is connections / throughput',
    "(Little's law) and the p99 ratio is the ratio of CPU per request. The CPU profile of `oom-bot serve` under",
    'this load (`BENCH_CPU_PROF=DIR`, bench/profile-summary.ts): the signature check (an HMAC, then tsscmp, which',
    'HMACs both sides again with a fresh random key) is about 9 % of the time and the same as the bare app pays;',
    "it used to be paid twice, by the guard in front of Bolt and by Bolt itself, until Bolt's own check was turned",
    'off behind the guard. What the bare app does not do: the replay check (one SET NX in Redis, about 6 %), the',
    'durable enqueue (BullMQ and ioredis, about 10-15 %) and one log line per request. Acking before the enqueue',
    'was tried before: at saturation it was slower and it would acknowledge work that may never be queued.',
    "What matters to a user holds: the p99 stays a few percent of Slack's 3,000 ms.",
  ].join(' '),
  'ack-p99-half': [
    "At half of the bare app's saturation rate the bare app is half loaded, but the bot, whose CPU per request",
    'is higher (see the saturated figures), runs near its own saturation, where waiting in the queue of the',
    'event loop dominates latency. The ratio is the same CPU per request seen at a higher utilisation; a',
    'workspace sends a few requests a second, far below either saturation.',
  ].join(' '),
  'ttd-runbook': [
    "The runbook's figure is machine time only: six fresh processes one after another (kubectl about 80-150 ms",
    'each: start-up of a large Go binary, TLS to the apiserver, its discovery cache; curl about 35 ms). A person',
    "running it reads and types between the commands for minutes; none of that is counted. Where the bot's time",
    'goes (each diagnosis logs when its steps ended, `stepsMs` on "diagnosis handed to the sender"): the web acks',
    'and queues, the worker resolves the target (about 40 ms: a field-selected list per kind) and posts the root,',
    'collects evidence (about 130-250 ms: the cluster snapshot and about 15 range queries, the slowest a 24 h',
    'range at 15 s steps), runs the engine (15-60 ms), stores the signed plan (5-15 ms), and then shows the',
    'verdict; the thread and the chart follow. 0.25x of the runbook (about 120 ms) is less than the evidence',
    "collection's own slowest call plus the target resolution that must precede it, so the goal cannot be met",
    'while the bot reads what the runbook reads. The p95 was once four times the p50: it was the first diagnosis',
    'of a fresh worker (loading the Kubernetes client and opening its connections, about 0.5 s); the bench now',
    "warms the worker once, as it warms kubectl's discovery cache.",
  ].join(' '),
  'ttd-slowest-call': [
    'The verdict needs the target resolved before the evidence can be read (the pods and the container come from',
    'the workload), so its floor is the resolution plus the evidence, which itself has two dependent phases',
    '(ttd-evidence); then the engine, the plan and one chat.update. Each of these steps is in the step timings;',
    'none is idle waiting any more: the verdict is shown before the thread and the chart are drawn.',
  ].join(' '),
  'ttd-evidence': [
    'collectEvidence runs in two dependent phases: the cluster snapshot and the container queries in parallel, then',
    'the four node queries, which need the node names the snapshot or the working-set series return. So its floor',
    'is the slowest call of the first phase plus the slowest of the second, not a single call.',
  ].join(' '),
  'scale-wall-ns': SCALE_WALL,
  'scale-wall-all': SCALE_WALL,
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
    "The worker's peak is V8's heap plus what lives outside it: HTTP body buffers of the Prometheus answers and the",
    "chart renderer's pixmaps, freed only by a collection. At the storm's allocation rate V8 grows its young",
    'generation to tens of MiB; the manifests cap it (--max-semi-space-size=2) beside the old space',
    '(--max-old-space-size=256), and the storm suite runs the worker with those flags. Each of the',
    'WORKER_CONCURRENCY diagnoses holds about 4 MiB of series for 24 h of 10 pods (memory section).',
  ].join(' '),
  'memory-web': [
    "Node 24 itself is about 45 MiB of RSS and loading @slack/bolt brings a process to the bare app's figure.",
    "BullMQ, ioredis, zod, pino, prom-client and the bot's own modules (about 200 of them) add their code and",
    'heap: importing the compiled src/main.js alone costs about 30 MiB more than the libraries it uses. The',
    'Kubernetes client (about 80 MiB on its own), prometheus-query and resvg load on first use, so the web',
    'process never loads them. Running the TypeScript sources directly cost about 30 MiB more (the type stripper',
    'and a second copy of each source); the image runs the compiled build. Splitting the web and worker code',
    'by role was measured and gains nothing: what the web needs (the remediation handlers, the alert intake,',
    'the queues) is most of the graph.',
  ].join(' '),
  'engine-24h': [
    'The engine does a fixed number of passes over the samples (peak and settled quantiles, lifetimes, the',
    'request sum, the memory-against-traffic fit, node series, the what-if replay); a CPU profile of the headline',
    'case (`node --cpu-prof bench/engine-profile.ts`) spreads the time over them with no single part above about',
    'a tenth: analyseTraffic with its rank correlation on 4,000 samples, the settled quantiles, analyseNodes, the',
    'trends and garbage collection. On this 2-core machine the figure moves by 2x with the load of the other',
    'suites; the engine section gives the same-process before/after pairs, which are steadier.',
  ].join(' '),
  'memory-worker': [
    'Idle, the worker holds what the web process holds plus its BullMQ workers; the Kubernetes client and the',
    'Prometheus driver load with its first job, which is why the worker after one diagnosis is the figure that',
    'sizes its request. The storm peak is in the storm section (storm-rss).',
  ].join(' '),
};
