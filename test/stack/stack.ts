// Moved to src/stack/stack.ts (`oom-bot replay` runs the same stack); kept for the tests' imports.
export * from '../../src/stack/stack.ts';
