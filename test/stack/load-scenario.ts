// Moved to src/stack/load-scenario.ts (`oom-bot replay` runs the same stack); kept for the tests' imports.
export * from '../../src/stack/load-scenario.ts';
