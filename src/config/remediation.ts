/**
 * The remediation section of the configuration: the approval policy file, the signing key, the
 * namespaces the worker may write to, the buttons' lifetime, the global dry run, the rollout watch
 * and the verification window.
 */
import { z } from 'zod';
import { optionalString } from '../config-values.ts';

/** The shortest APPROVAL_SIGNING_KEY accepted (as remediation/signing.ts requires). */
const MIN_SIGNING_KEY_LENGTH = 32;

export const remediationEnv = {
  APPROVAL_POLICY_FILE: optionalString,
  APPROVAL_SIGNING_KEY: optionalString.refine(
    (s) => s === undefined || s.length >= MIN_SIGNING_KEY_LENGTH,
    `must be at least ${MIN_SIGNING_KEY_LENGTH} characters (e.g. openssl rand -base64 32)`,
  ),
  WRITE_NAMESPACES: optionalString,
  DENY_NAMESPACES: optionalString,
  POD_NAMESPACE: optionalString,
  BUTTON_TTL_MINUTES: z.coerce
    .number()
    .positive()
    .max(7 * 24 * 60)
    .default(30),
  DRY_RUN_ONLY: z
    .string()
    .trim()
    .toLowerCase()
    .refine((s) => ['', 'true', 'false', '1', '0', 'yes', 'no'].includes(s), 'must be true or false')
    .transform((s) => s === 'true' || s === '1' || s === 'yes')
    .default(false),
  ROLLOUT_TIMEOUT_SECONDS: z.coerce.number().positive().max(3600).default(300),
  VERIFY_MINUTES: z.coerce
    .number()
    .positive()
    .max(24 * 60)
    .default(15),
};

type RemediationEnv = z.infer<z.ZodObject<typeof remediationEnv>>;

/** Approved remediation: policy file, button lifetime, global dry run, rollout watch, verification. */
export interface RemediationConfig {
  policyFile?: string;
  /** Signs plans, approvals and change records; never written to Redis. */
  signingKey?: string;
  /** Glob patterns of the namespaces the worker may write to, and of those it never writes to. */
  writeNamespaces: readonly string[];
  denyNamespaces: readonly string[];
  buttonTtlSeconds: number;
  dryRunOnly: boolean;
  rolloutTimeoutMs: number;
  verifySeconds: number;
}

/** A comma-separated list of glob patterns; empty items dropped. */
function parsePatterns(text: string): string[] {
  return text
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p.length > 0);
}

/** DENY_NAMESPACES when unset: the system namespaces and the bot's own. */
function defaultDenyNamespaces(ownNamespace: string | undefined): string[] {
  return ['kube-*', ownNamespace?.trim() || 'oom-bot'];
}

export function remediationConfig(e: RemediationEnv): RemediationConfig {
  return Object.freeze({
    policyFile: e.APPROVAL_POLICY_FILE,
    signingKey: e.APPROVAL_SIGNING_KEY,
    writeNamespaces: Object.freeze(parsePatterns(e.WRITE_NAMESPACES ?? '*')),
    denyNamespaces: Object.freeze(
      e.DENY_NAMESPACES === undefined
        ? defaultDenyNamespaces(e.POD_NAMESPACE)
        : parsePatterns(e.DENY_NAMESPACES),
    ),
    buttonTtlSeconds: Math.round(e.BUTTON_TTL_MINUTES * 60),
    dryRunOnly: e.DRY_RUN_ONLY,
    rolloutTimeoutMs: Math.round(e.ROLLOUT_TIMEOUT_SECONDS * 1000),
    verifySeconds: Math.round(e.VERIFY_MINUTES * 60),
  });
}
