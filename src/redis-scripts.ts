/**
 * The one loader of the Lua scripts run in Redis. Scripts live in `.lua` files next to the module
 * that runs them; a line `--- @include "name.lua"` is replaced by that file (same folder), so shared
 * helpers are written once. Texts are read once per process; commands are defined once per client.
 */
import { readFileSync } from 'node:fs';
import type { Cluster, Redis } from 'ioredis';

const INCLUDE = /^--- @include "([\w.-]+\.lua)"$/gm;
const texts = new Map<string, string>();

/** The text of the script at `url`, its includes expanded. */
export function loadLua(url: URL): string {
  const cached = texts.get(url.href);
  if (cached !== undefined) return cached;
  const source = readFileSync(url, 'utf8');
  const text = source.replace(INCLUDE, (_line, name: string) => loadLua(new URL(name, url)));
  texts.set(url.href, text);
  return text;
}

/**
 * Define each script as a command of `redis` (ioredis runs it with EVALSHA, falling back to EVAL),
 * named by the keys of `scripts`; the client is returned typed as `T`.
 */
export function defineLuaCommands<T>(redis: Redis | Cluster, scripts: Record<keyof T & string, URL>): T {
  const client = redis as unknown as Record<string, unknown>;
  for (const [name, url] of Object.entries<URL>(scripts)) {
    if (typeof client[name] !== 'function') redis.defineCommand(name, { lua: loadLua(url) });
  }
  return redis as unknown as T;
}
