// Moved to src/stack/proc.ts (`oom-bot replay` runs the same stack); kept for the tests' imports.
export * from '../../src/stack/proc.ts';
