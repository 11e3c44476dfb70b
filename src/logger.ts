/** Structured JSON logs (pino) that never carry a configured secret. */
import { type Logger, pino } from 'pino';

export type { Logger };

/** A string's body as JSON writes it inside quotes (`"` → `\"`, `\` → `\\`, control characters). */
function jsonEscaped(text: string): string {
  return JSON.stringify(text).slice(1, -1);
}

/** Percent-encodings in both cases of hex (`%2F`, `%2f`), and form encoding's `+` for a space. */
function urlEncodedPatterns(text: string): string[] {
  const anyCaseHex = (encoded: string) =>
    escapeRegExp(encoded).replace(/%([0-9A-F])([0-9A-F])/g, (_m, a: string, b: string) => {
      const hex = (d: string) => (/[A-F]/.test(d) ? `[${d}${d.toLowerCase()}]` : d);
      return `%${hex(a)}${hex(b)}`;
    });
  const component = encodeURIComponent(text);
  const form = new URLSearchParams({ s: text }).toString().slice(2);
  return [anyCaseHex(component), anyCaseHex(form), anyCaseHex(encodeURI(text))];
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Every form a secret takes in a log line (JSON, so never the raw text when it holds `"`, `\` or
 * a control character): JSON-escaped once (a string field) or twice (a JSON body quoted in a
 * field), and URL-encoded (a query string, a form body, a URL's userinfo). Longest first, so a
 * longer form is masked whole.
 */
function secretPattern(secrets: readonly string[]): RegExp | undefined {
  const forms = new Set<string>();
  for (const secret of secrets) {
    forms.add(escapeRegExp(jsonEscaped(secret)));
    forms.add(escapeRegExp(jsonEscaped(jsonEscaped(secret))));
    for (const encoded of urlEncodedPatterns(secret)) forms.add(encoded);
  }
  if (forms.size === 0) return undefined;
  const ordered = [...forms].sort((a, b) => b.length - a.length);
  return new RegExp(ordered.join('|'), 'g');
}

/** A logger that redacts known secret fields and masks every configured secret value. */
export function createLogger(options: {
  level: string;
  secrets: string[];
  destination?: NodeJS.WritableStream;
}): Logger {
  const secrets = options.secrets.filter((s) => s.length >= 6);
  const pattern = secretPattern(secrets);
  const mask = (text: string): string => (pattern ? text.replace(pattern, '[redacted]') : text);
  const stream = options.destination ?? process.stdout;
  return pino(
    {
      level: options.level,
      base: { service: 'oom-bot' },
      redact: {
        paths: [
          'token',
          'botToken',
          'signingSecret',
          'appToken',
          '*.token',
          'headers.authorization',
          'req.headers.authorization',
        ],
        censor: '[redacted]',
      },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    {
      write(line: string) {
        stream.write(secrets.length > 0 ? mask(line) : line);
      },
    } as NodeJS.WritableStream,
  );
}
