/**
 * Layering rules for src/, checked by `npm run lint:deps` (part of `npm run check`). Layers, from
 * the bottom: domain (pure), the shared leaves (errors, logger, timeout, config…), sources,
 * the diagnosis service, the features (slack, incidents, alerts, remediation, jobs), and the
 * entry points (main, cli). Imports only point down.
 */
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
    {
      name: 'domain-is-pure',
      severity: 'error',
      comment: 'src/domain imports nothing outside src/domain (node built-ins and packages excepted).',
      from: { path: '^src/domain/' },
      to: { path: '^src/', pathNot: '^src/domain/' },
    },
    {
      name: 'sources-below-features',
      severity: 'error',
      comment:
        'Evidence sources read clusters and metrics; they know nothing of Slack, jobs, incidents, alerts or remediation.',
      from: { path: '^src/sources/' },
      to: { path: '^src/(slack|jobs|incidents|alerts|remediation)/' },
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
      name: 'config-below-features',
      severity: 'error',
      comment:
        'config holds its own defaults; it may parse with alert matchers/routes but imports no feature module.',
      from: { path: '^src/config\\.ts$' },
      to: { path: '^src/(slack|jobs|incidents|remediation|sources)/|^src/alerts/(?!matchers|routing)' },
    },
    {
      name: 'payloads-are-a-leaf',
      severity: 'error',
      comment:
        'Job payloads are plain data shared by producers and processors: only domain and policy types below them.',
      from: { path: '^src/jobs/payloads\\.ts$' },
      to: {
        path: '^src/',
        pathNot: '^src/(domain/|contracts/remediation-actions\\.ts$|jobs/payloads\\.ts$)',
      },
    },
    {
      name: 'only-job-plumbing-from-below',
      severity: 'error',
      comment:
        'Below the job processors only the payload types and the queue plumbing of src/jobs may be imported.',
      from: {
        path: '^src/(domain|sources|incidents|slack|alerts|remediation)/|^src/(evidence|diagnosis-service|config|redis)\\.ts$',
      },
      to: {
        path: '^src/jobs/',
        pathNot: '^src/jobs/(payloads|queues|root-update-queue)\\.ts$',
      },
    },
    {
      name: 'processors-from-entry-points',
      severity: 'error',
      comment:
        'Job processors are wired by main (remediation/wiring.ts runs the remediate processor it owns).',
      from: { path: '^src/', pathNot: '^src/(main\\.ts|jobs/|remediation/wiring\\.ts$)' },
      to: { path: '^src/jobs/(diagnose-[a-z]+|remediate-processor)\\.ts$' },
    },
    {
      name: 'incidents-below-alerts',
      severity: 'error',
      comment: 'The alert intake records incidents; incidents know only the shape of an alert target.',
      from: { path: '^src/incidents/' },
      to: { path: '^src/alerts/', pathNot: '^src/alerts/target\\.ts$' },
    },
    {
      name: 'domain-and-sources-below-rendering',
      severity: 'error',
      comment: 'Nothing below the features renders Slack messages or runs jobs.',
      from: { path: '^src/(domain|sources)/|^src/(evidence|diagnosis-service|config|redis)\\.ts$' },
      to: {
        path: '^src/(slack|incidents|alerts|remediation)/',
        pathNot: '^src/alerts/(matchers|routing)\\.ts$',
      },
    },
    {
      name: 'service-below-features',
      severity: 'error',
      comment: 'The diagnosis service and evidence collection know sources and domain, no feature.',
      from: { path: '^src/(evidence|diagnosis-service)\\.ts$' },
      to: { path: '^src/(slack|jobs|incidents|alerts|remediation)/' },
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
