// Moved to src/stack/kube.ts (`oom-bot replay` runs the same stack); kept for the tests' imports.
export * from '../../src/stack/kube.ts';
