/** Structured JSON logs (pino) that never carry a configured secret. */
import { type Logger, pino } from 'pino';

export type { Logger };

/** A logger that redacts known secret fields and masks every configured secret value. */
export function createLogger(options: {
  level: string;
  secrets: string[];
  destination?: NodeJS.WritableStream;
}): Logger {
  const secrets = options.secrets.filter((s) => s.length >= 6);
  const mask = (text: string): string => secrets.reduce((out, s) => out.split(s).join('[redacted]'), text);
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
