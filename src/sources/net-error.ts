/** Plain words for a failed network call, whatever client (fetch, axios) made it. */

const PLAIN: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  EPIPE: 'connection reset',
  ETIMEDOUT: 'connection timed out',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
  UND_ERR_SOCKET: 'connection closed',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host not found (DNS)',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'TLS certificate not trusted (self-signed)',
  SELF_SIGNED_CERT_IN_CHAIN: 'TLS certificate not trusted (self-signed)',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'TLS certificate not trusted',
  CERT_HAS_EXPIRED: 'TLS certificate expired',
  ERR_TLS_CERT_ALTNAME_INVALID: 'TLS certificate does not match the host',
};

/** The error code somewhere along the cause chain (`ECONNREFUSED`, ...), if any. */
function networkCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 6 && current && typeof current === 'object'; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && code !== '') return code;
    const errors = (current as { errors?: unknown }).errors;
    if (Array.isArray(errors) && errors.length > 0) {
      const inner = networkCode(errors[0]);
      if (inner) return inner;
    }
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** "connection refused", "host not found", ... or the innermost message when the code is unknown. */
export function networkReason(error: unknown): string {
  const code = networkCode(error);
  if (code && PLAIN[code]) return PLAIN[code];
  let current: unknown = error;
  let message = '';
  for (let depth = 0; depth < 6 && current && typeof current === 'object'; depth++) {
    const m = (current as { message?: unknown }).message;
    if (typeof m === 'string' && m !== '') message = m;
    current = (current as { cause?: unknown }).cause;
  }
  const line = (message || String(error)).split('\n')[0] as string;
  return code && !line.includes(code) ? `${line} (${code})` : line;
}
