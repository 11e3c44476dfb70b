/**
 * Which Slack channel an alert's incident goes to: the first route whose matchers match the
 * alert's labels, else the default channel. `CHANNEL_ROUTES` is a comma-separated list of
 * `<matcher>:<channel id>` or `{<matcher>, ...}:<channel id>`, for example
 * `namespace=payments:C123,team=search:C456,{namespace=~"data-.*",severity="critical"}:C789`.
 */
import { OomBotError } from '../errors.ts';
import { type LabelMatcher, MatcherScanner, matchesRule } from './matchers.ts';

export interface ChannelRoute {
  matchers: readonly LabelMatcher[];
  channel: string;
}

const CHANNEL = /[A-Za-z0-9_#.-]+/y;

/** Parse `CHANNEL_ROUTES`. Throws a config_invalid OomBotError naming the problem. */
export function parseChannelRoutes(text: string): ChannelRoute[] {
  const routes: ChannelRoute[] = [];
  const s: MatcherScanner = new MatcherScanner(text);
  for (;;) {
    s.skipSpace();
    if (s.atEnd()) break;
    const matchers = s.matcherList(true);
    if (s.peek() !== ':') s.fail('expected :<channel id> after the matchers');
    s.pos++;
    s.skipSpace();
    CHANNEL.lastIndex = s.pos;
    const m = CHANNEL.exec(s.text);
    if (!m) s.fail('expected a channel id');
    s.pos = CHANNEL.lastIndex;
    routes.push({ matchers, channel: m[0] });
    s.skipSpace();
    if (s.atEnd()) break;
    if (s.peek() !== ',') s.fail('expected , between routes');
    s.pos++;
  }
  if (routes.length === 0) throw new OomBotError('config_invalid', 'no routes');
  return routes;
}

/** The channel for a label set: the first matching route, else `fallback`. */
export function routeChannel(
  labels: Readonly<Record<string, string>>,
  routes: readonly ChannelRoute[],
  fallback: string | undefined,
): string | undefined {
  for (const route of routes) if (matchesRule(labels, route.matchers)) return route.channel;
  return fallback;
}
