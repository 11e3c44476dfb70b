/**
 * Property: a configured secret never leaves the logger in any form a reader could turn back into
 * it: as a field, inside a message, inside a JSON body quoted in a field (escaped twice), in a URL
 * query or a form body (percent-encoded, either hex case), even when it holds `"`, `\`, control
 * characters or non-ASCII text. Every line stays parseable JSON.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import fc from 'fast-check';
import { createLogger } from '../../../src/logger.ts';
import { propertyRuns, propertySeed, report } from '../../reliability/intensity.ts';

function capture(): { stream: Writable; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  return { stream, lines };
}

/** Every string a reader can recover from a line: the values, URL-decoded, and nested JSON parsed. */
function recoverable(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') {
    out.push(value);
    for (const decode of [decodeURIComponent, (s: string) => decodeURIComponent(s.replace(/\+/g, ' '))]) {
      try {
        out.push(decode(value));
      } catch {
        // not percent-encoded
      }
    }
    try {
      recoverable(JSON.parse(value), out);
    } catch {
      // not JSON
    }
  } else if (value && typeof value === 'object') {
    for (const v of Object.values(value)) recoverable(v, out);
  }
  return out;
}

const secretText = fc.oneof(
  fc.string({ minLength: 6, maxLength: 40 }),
  fc.string({ minLength: 6, maxLength: 40, unit: 'grapheme' }),
  fc
    .array(fc.constantFrom('a', 'Z', '9', '"', '\\', '%', '+', ' ', '&', '=', '/', '\n', 'é'), {
      minLength: 6,
      maxLength: 24,
    })
    .map((chars) => chars.join('')),
);

describe('property: log masking', () => {
  it('never writes a secret in a recoverable form', () => {
    let lines = 0;
    fc.assert(
      fc.property(secretText, (secret) => {
        const out = capture();
        const logger = createLogger({ level: 'info', secrets: [secret], destination: out.stream });
        logger.info({ password: secret }, 'field');
        logger.info(`message with ${secret} inside`);
        logger.info({ body: JSON.stringify({ client_secret: secret }) }, 'a JSON body');
        logger.info({ url: `https://x.example/cb?token=${encodeURIComponent(secret)}&a=1` }, 'a query');
        logger.info({ form: new URLSearchParams({ token: secret }).toString() }, 'a form body');
        const lowerHex = encodeURIComponent(secret).replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase());
        logger.info({ url: `https://x.example/?t=${lowerHex}` }, 'lower-case hex');
        logger.info({ err: { message: `refused ${JSON.stringify(secret)}` } }, 'an error');
        assert.equal(out.lines.length, 7);
        for (const line of out.lines) {
          lines++;
          const parsed = JSON.parse(line);
          for (const text of recoverable(parsed))
            assert.ok(!text.includes(secret), `secret ${JSON.stringify(secret)} recoverable from ${line}`);
        }
      }),
      { numRuns: propertyRuns(), seed: propertySeed() },
    );
    report('log-masking', { runs: propertyRuns(), lines });
  });

  it('leaves lines without a secret as they were', () => {
    const out = capture();
    const logger = createLogger({ level: 'info', secrets: ['s"e\\cret'], destination: out.stream });
    logger.info({ user: 'U1', path: '/slack/events?x=%2F' }, 'ordinary');
    const parsed = JSON.parse(out.lines[0] as string);
    assert.equal(parsed.path, '/slack/events?x=%2F');
    assert.equal(parsed.msg, 'ordinary');
  });
});
