import assert from 'node:assert/strict';
import { parseOomCommand } from '../../../src/slack/command.ts';

describe('parseOomCommand: the text after /oom', () => {
  const rows: Array<[string, ReturnType<typeof parseOomCommand>]> = [
    // The seed: a bare service name.
    ['auth-service', { kind: 'diagnose', name: 'auth-service', namespace: undefined, cluster: undefined }],
    // Namespace, short and long, and = form.
    [
      'auth-service -n prod',
      { kind: 'diagnose', name: 'auth-service', namespace: 'prod', cluster: undefined },
    ],
    [
      '-n prod auth-service',
      { kind: 'diagnose', name: 'auth-service', namespace: 'prod', cluster: undefined },
    ],
    [
      'auth-service --namespace=prod',
      { kind: 'diagnose', name: 'auth-service', namespace: 'prod', cluster: undefined },
    ],
    // A kubeconfig context.
    [
      'auth-service --cluster prod-eu-1',
      { kind: 'diagnose', name: 'auth-service', namespace: undefined, cluster: 'prod-eu-1' },
    ],
    // Extra spaces are fine.
    [
      '   auth-service    -n   prod  ',
      { kind: 'diagnose', name: 'auth-service', namespace: 'prod', cluster: undefined },
    ],
    // Help.
    ['', { kind: 'help' }],
    ['help', { kind: 'help' }],
  ];
  for (const [text, expected] of rows) {
    it(`"${text}"`, () => assert.deepEqual(parseOomCommand(text), expected));
  }

  const invalid: Array<[string, RegExp]> = [
    // Uppercase is not a Kubernetes name.
    ['Auth-Service', /not a valid Kubernetes name/],
    // Mention injection never reaches a lookup.
    ['<!channel>', /not a valid Kubernetes name/],
    // A flag without its value.
    ['auth-service -n', /-n needs a value/],
    ['auth-service -n -x', /-n needs a value/],
    // Two services.
    ['auth-service payments', /one service at a time/],
    // Unknown flags.
    ['auth-service --force', /unknown option --force/],
    // Too long for a DNS label.
    [`${'a'.repeat(64)}`, /longer than 63/],
    // Bad namespace.
    ['auth-service -n Prod_1', /namespace "Prod_1" is not a valid/],
  ];
  for (const [text, reason] of invalid) {
    it(`rejects "${text.slice(0, 30)}"`, () => {
      const parsed = parseOomCommand(text);
      assert.equal(parsed.kind, 'invalid');
      assert.match((parsed as { reason: string }).reason, reason);
    });
  }
});
