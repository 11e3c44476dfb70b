// Moved to src/stack/ports.ts (`oom-bot replay` runs the same stack); kept for the tests' imports.
export * from '../../src/stack/ports.ts';
