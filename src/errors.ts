/**
 * Every failure the bot knows, as one coded error class. `userMessage` is what Slack (or the CLI)
 * may show; `message` may carry detail for logs. Never put secrets in either.
 */

const ERROR_CODES = [
  'config_invalid',
  /** A cluster (kubeconfig context) name the kubeconfig does not have. */
  'unknown_context',
  'usage',
  'target_not_found',
  'target_ambiguous',
  'scenario_unreadable',
  'source_unavailable',
  'source_timeout',
  'queue_unavailable',
  'slack_api',
  'forbidden',
  'conflict',
  'approval_refused',
  'internal',
] as const;
type ErrorCode = (typeof ERROR_CODES)[number];

export class OomBotError extends Error {
  readonly code: ErrorCode;
  readonly userMessage: string;
  readonly details: Record<string, unknown>;

  constructor(
    code: ErrorCode,
    userMessage: string,
    options: { details?: Record<string, unknown>; cause?: unknown } = {},
  ) {
    super(userMessage, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'OomBotError';
    this.code = code;
    this.userMessage = userMessage;
    this.details = options.details ?? {};
  }
}

export function usageError(message: string): OomBotError {
  return new OomBotError('usage', message);
}

export function targetNotFound(
  name: string,
  namespace: string | undefined,
  nearMatches: string[],
): OomBotError {
  const where = namespace ? ` in namespace ${namespace}` : ' in any namespace';
  const near = nearMatches.length > 0 ? `; did you mean ${nearMatches.join(', ')}?` : '';
  return new OomBotError(
    'target_not_found',
    `no service, workload or app label named ${name}${where}${near}`,
    {
      details: { name, namespace, nearMatches },
    },
  );
}

export function targetAmbiguous(name: string, choices: string[]): OomBotError {
  return new OomBotError(
    'target_ambiguous',
    `${name} matches ${choices.length} workloads: ${choices.join(', ')}`,
    {
      details: { name, choices },
    },
  );
}

export function scenarioUnreadable(file: string, reason: string, line?: number): OomBotError {
  const where = line === undefined ? file : `${file}:${line}`;
  return new OomBotError('scenario_unreadable', `cannot read scenario file ${where}: ${reason}`, {
    details: { file, line },
  });
}

/** A one-line description of any thrown value, safe for a log line or a user. */
export function describeError(error: unknown): string {
  if (error instanceof OomBotError) return error.userMessage;
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    const cause = (error as { cause?: { code?: unknown; message?: unknown } }).cause;
    const causeCode = typeof cause?.code === 'string' ? cause.code : undefined;
    const label = typeof code === 'string' ? code : causeCode;
    return label && !error.message.includes(label) ? `${error.message} (${label})` : error.message;
  }
  return String(error);
}
