import assert from 'node:assert/strict';
import { parseChannelRoutes, routeChannel } from '../../../src/alert-labels/routing.ts';
import { OomBotError } from '../../../src/errors.ts';

describe('channel routing: where an incident is posted', () => {
  const routes = parseChannelRoutes(
    'namespace=payments:C123, team=search:C456, {namespace=~"data-.*",severity="critical"}:C789',
  );

  const rows: Array<[string, Record<string, string>, string | undefined]> = [
    // routed by namespace
    ['a payments alert', { namespace: 'payments', team: 'search' }, 'C123'],
    // the first matching route wins: payments comes before team=search
    ['a search alert', { namespace: 'web', team: 'search' }, 'C456'],
    // a route with several matchers needs all of them
    ['a critical data alert', { namespace: 'data-lake', severity: 'critical' }, 'C789'],
    ['a warning data alert', { namespace: 'data-lake', severity: 'warning' }, 'CDEFAULT'],
    // nothing matches: the default channel
    ['any other alert', { namespace: 'web' }, 'CDEFAULT'],
  ];
  for (const [name, labels, channel] of rows) {
    it(`sends ${name} to ${channel}`, () => {
      assert.equal(routeChannel(labels, routes, 'CDEFAULT'), channel);
    });
  }

  it('has no channel without a default when nothing matches', () => {
    assert.equal(routeChannel({ namespace: 'web' }, routes, undefined), undefined);
  });

  const bad: Array<[string, string, RegExp]> = [
    // the channel is missing
    ['a route without a channel', 'namespace=payments', /expected :<channel id>/],
    // the channel is empty
    ['an empty channel', 'namespace=payments:', /expected a channel id/],
    // routes are comma separated
    ['two routes without a comma', 'namespace=a:C1 namespace=b:C2', /expected , between routes/],
    // nothing at all
    ['an empty list', '  ', /no routes/],
  ];
  for (const [name, text, reason] of bad) {
    it(`refuses ${name}`, () => {
      assert.throws(
        () => parseChannelRoutes(text),
        (e: unknown) => e instanceof OomBotError && reason.test(e.message),
      );
    });
  }
});
