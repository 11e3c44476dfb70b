/**
 * How long an end-to-end test waits for something before it calls it a hang. Only there to catch
 * hangs, never a speed limit: a loaded machine (other builds, a CPU hog on every core) must pass.
 */
export const HANG_MS = 90_000;
