// Moved to src/stack/prometheus.ts (`oom-bot replay` runs the same stack); kept for the tests' imports.
export * from '../../src/stack/prometheus.ts';
