/**
 * Layering rules for src/, checked by `npm run lint:deps` (part of `npm run check`).
 *
 * Every folder and top-level file of src/ has a place in LAYERS, listed from the top. A module
 * may import its own folder and anything on a lower line; an import that points to a higher line,
 * or sideways to another unit of its own line, breaks `no-upward-import`. From the top:
 *
 *   cli.ts                     the binary: dispatches to the commands
 *   main.ts                    composition root: clients, queues, web, workers
 *   slack-app.ts, alerts/      the triggers: the Bolt app (/oom, buttons) and the webhook intake
 *   jobs/                      the job processors (diagnose, risks)
 *   remediation/               plans, approvals, the checked write path and its button handlers
 *   incidents/                 alert incidents in Redis
 *   forecast/                  the risk scan
 *   diagnosis-service.ts, node-diagnosis-service.ts   resolve, collect evidence, diagnose (a workload, a node)
 *   evidence.ts, node-evidence.ts, health-server.ts
 *   slack/                     Slack transport: receiver, replay guard, allow-list, /oom parser, poster
 *   queues/                    job payloads and the BullMQ queue plumbing
 *   render/                    pure rendering: Block Kit, text, the PNG chart, action ids
 *   contracts/                 plain data shared across features: incident shapes, plan records,
 *                              remediation actions, the object diff
 *   sources/, redis.ts, metrics.ts, report.ts
 *   config.ts                  the one reader of process.env
 *   config/                    its sections: Slack, Redis, remediation, the alert webhook
 *   alert-labels/              alert label parsers: matchers, channel routes, target from labels
 *   errors, logger, timeout, http-body, redis-scripts, config-values   shared leaves
 *   domain/                    pure diagnosis engine
 */

/** Units of src/ from the top; each entry is one layer, each string one folder (`x/`) or file. */
const LAYERS = [
  ['cli.ts'],
  ['main.ts'],
  ['slack-app.ts', 'alerts/'],
  ['jobs/'],
  ['remediation/'],
  ['incidents/'],
  ['forecast/'],
  ['diagnosis-service.ts', 'node-diagnosis-service.ts'],
  ['evidence.ts', 'node-evidence.ts', 'health-server.ts'],
  ['slack/'],
  ['queues/'],
  ['render/'],
  ['contracts/'],
  ['sources/', 'redis.ts', 'metrics.ts', 'report.ts'],
  ['config.ts'],
  ['config/'],
  ['alert-labels/'],
  ['errors.ts', 'logger.ts', 'timeout.ts', 'http-body.ts', 'redis-scripts.ts', 'config-values.ts'],
  ['domain/', 'demo/'],
];

/** A path pattern for a unit: a folder and all below it, or exactly one file. */
function unitPattern(unit) {
  const escaped = unit.replace(/[.]/g, '\\.');
  return unit.endsWith('/') ? `^src/${escaped}` : `^src/${escaped}$`;
}

/** One pattern matching any of the units given. */
function anyOf(units) {
  return units.map(unitPattern).join('|');
}

/** For each unit: importing any unit above it, or another unit of its own layer, is forbidden. */
const upwardRules = LAYERS.flatMap((layer, index) =>
  layer.map((unit) => {
    const above = LAYERS.slice(0, index).flat();
    const peers = layer.filter((other) => other !== unit);
    return {
      name: 'no-upward-import',
      severity: 'error',
      comment: `${unit} imports only its own unit and the layers below it (see LAYERS).`,
      from: { path: unitPattern(unit) },
      to: { path: anyOf([...above, ...peers]) },
    };
  }),
);

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'No import cycles: a cycle means two modules are one, or a type lives in the wrong place.',
      from: { path: '^src/' },
      to: { circular: true },
    },
    ...upwardRules.filter((rule) => rule.to.path !== ''),
    {
      name: 'every-unit-has-a-layer',
      severity: 'error',
      comment: 'A new folder or top-level file of src/ gets its place in LAYERS before anything imports it.',
      from: { path: '^src/' },
      to: { path: '^src/', pathNot: anyOf(LAYERS.flat()) },
    },
    {
      name: 'every-unit-has-a-layer',
      severity: 'error',
      comment: 'A module outside LAYERS imports nothing from src/: give it its place first.',
      from: { path: '^src/', pathNot: anyOf(LAYERS.flat()) },
      to: { path: '^src/' },
    },
    {
      name: 'domain-is-pure',
      severity: 'error',
      comment: 'src/domain imports nothing outside src/domain (node built-ins and packages excepted).',
      from: { path: '^src/domain/' },
      to: { path: '^src/', pathNot: '^src/domain/' },
    },
    {
      name: 'shared-leaves-stay-leaves',
      severity: 'error',
      comment:
        'errors, logger, timeout, the body reader and the Lua loader are used everywhere and import nothing from src/.',
      from: { path: '^src/(errors|logger|timeout|http-body|redis-scripts)\\.ts$' },
      to: { path: '^src/' },
    },
    {
      name: 'payloads-are-a-leaf',
      severity: 'error',
      comment:
        'Job payloads are plain data shared by producers and processors: only domain, contracts and the Block Kit message type below them.',
      from: { path: '^src/queues/payloads\\.ts$' },
      to: { path: '^src/', pathNot: '^src/(domain|contracts)/|^src/render/blocks/types\\.ts$' },
    },
    {
      name: 'processors-from-entry-points',
      severity: 'error',
      comment:
        'Job processors are wired by main (remediation/wiring.ts runs the remediate processor it owns).',
      from: { path: '^src/', pathNot: '^src/(main\\.ts|jobs/|remediation/wiring\\.ts$)' },
      to: { path: '^src/(jobs/|remediation/remediate-processor\\.ts$)' },
    },
    {
      name: 'entry-points-are-tops',
      severity: 'error',
      comment: 'Nothing in src/ imports an entry point but the CLI, which dispatches to them.',
      from: { path: '^src/', pathNot: '^src/cli\\.ts$' },
      to: { path: '^src/(main|cli|replay-cli)\\.ts$' },
    },
    {
      name: 'product-not-tests',
      severity: 'error',
      comment: 'What ships never imports the tests.',
      from: { path: '^src/' },
      to: { path: '^test/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    // dependency-cruiser parses TypeScript with swc: it does not support the project's TypeScript 7
    parser: 'swc',
    exclude: { path: '\\.lua$' },
  },
};
