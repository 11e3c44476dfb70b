/**
 * The approval policy: who may approve which remediation, where, and up to what limit. It lives
 * in a YAML (or JSON) file validated with zod; a bad file stops the bot with a message naming the
 * file and the field. Without a file the policy is the safe default: nobody may approve.
 *
 * Decisions are small ordered predicates (the first refusal wins), each with the reason shown
 * to the clicker and recorded in the thread.
 */
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import {
  actionName,
  REMEDIATION_ACTIONS,
  type RemediationAction,
  WRITE_ACTIONS,
} from '../contracts/remediation-actions.ts';
import { bytes } from '../domain/format.ts';
import { mayRaiseLimit } from '../domain/limit-rule.ts';
import { parseQuantity } from '../domain/quantity.ts';
import type { Cause } from '../domain/types.ts';
import { OomBotError } from '../errors.ts';

const SLACK_USER = /^[UW][A-Z0-9]{2,}$/;
const SLACK_GROUP = /^S[A-Z0-9]{2,}$/;
/** Namespace patterns: a Kubernetes name with `*` wildcards, e.g. `prod-*` or `*`. */
const NAMESPACE_PATTERN = /^[a-z0-9*]([-a-z0-9*]*[a-z0-9*])?$/;
/** Cluster patterns: a kubeconfig context name with `*` wildcards, e.g. `prod-*`. */
const CLUSTER_PATTERN = /^[A-Za-z0-9_.:@/*-]{1,253}$/;

/** The name a rule's `cluster` matches when a plan targets the default context. */
export const DEFAULT_CLUSTER = 'default';
/** Scale out's replica ceiling when the policy sets none. */
const DEFAULT_MAX_REPLICAS = 10;

const quantity = z
  .string()
  .trim()
  .refine((s) => (parseQuantity(s) ?? 0) > 0, 'must be a memory quantity like 4Gi');

const approversSchema = z
  .object({
    users: z.array(z.string().regex(SLACK_USER, 'must be a Slack user id like U0123ABCD')).default([]),
    groups: z
      .array(z.string().regex(SLACK_GROUP, 'must be a Slack user group id like S0123ABCD'))
      .default([]),
  })
  .strict();

const ruleFields = {
  actions: z.array(z.enum(REMEDIATION_ACTIONS)).optional(),
  maxMemoryLimit: quantity.optional(),
  maxReplicas: z.number().int().min(1).max(1000).optional(),
  twoPersonRule: z.boolean().optional(),
  approvers: approversSchema.optional(),
};

const namespaceRuleSchema = z
  .object({
    match: z
      .string()
      .regex(NAMESPACE_PATTERN, 'must be a namespace name, with * as a wildcard (e.g. prod-*)'),
    cluster: z
      .string()
      .regex(CLUSTER_PATTERN, 'must be a kubeconfig context name, with * as a wildcard (e.g. prod-*)')
      .optional(),
    ...ruleFields,
  })
  .strict();

const policySchema = z
  .object({
    version: z.literal(1),
    approvers: approversSchema.default({ users: [], groups: [] }),
    defaults: z
      .object({
        actions: z.array(z.enum(REMEDIATION_ACTIONS)).default(['preview']),
        maxMemoryLimit: quantity.default('8Gi'),
        maxReplicas: z.number().int().min(1).max(1000).default(DEFAULT_MAX_REPLICAS),
        twoPersonRule: z.boolean().default(false),
      })
      .strict()
      .default({
        actions: ['preview'],
        maxMemoryLimit: '8Gi',
        maxReplicas: DEFAULT_MAX_REPLICAS,
        twoPersonRule: false,
      }),
    namespaces: z.array(namespaceRuleSchema).default([]),
  })
  .strict();

export interface Approvers {
  users: string[];
  groups: string[];
}

/** The policy as the decisions use it. */
export interface ApprovalPolicy {
  /** Where it came from, for messages ("the default policy" or a file name). */
  source: string;
  approvers: Approvers;
  defaults: {
    actions: RemediationAction[];
    maxMemoryLimitBytes: number;
    maxReplicas: number;
    twoPersonRule: boolean;
  };
  namespaces: Array<{
    match: string;
    /** Context pattern: the rule applies only to changes in a matching cluster. */
    cluster?: string;
    actions?: RemediationAction[];
    maxMemoryLimitBytes?: number;
    maxReplicas?: number;
    twoPersonRule?: boolean;
    approvers?: Approvers;
  }>;
}

/** The safe default when no file is configured: previews only, nobody may approve. */
export const DEFAULT_POLICY: ApprovalPolicy = Object.freeze({
  source: 'the default policy (APPROVAL_POLICY_FILE is not set)',
  approvers: { users: [], groups: [] },
  defaults: { actions: ['preview'], maxMemoryLimitBytes: 0, maxReplicas: 0, twoPersonRule: false },
  namespaces: [],
}) as ApprovalPolicy;

function formatIssue(issue: z.core.$ZodIssue): string {
  const path = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');
  return `${path.replace(/^\./, '') || '(top level)'}: ${issue.message}`;
}

/** Validate a parsed policy document; `source` names it in errors. */
export function parsePolicy(document: unknown, source: string): ApprovalPolicy {
  const parsed = policySchema.safeParse(document ?? {});
  if (!parsed.success) {
    const issues = parsed.error.issues.slice(0, 3).map(formatIssue).join('; ');
    throw new OomBotError('config_invalid', `APPROVAL_POLICY_FILE ${source} is invalid: ${issues}`, {
      details: { source },
    });
  }
  const p = parsed.data;
  return {
    source,
    approvers: p.approvers,
    defaults: {
      actions: p.defaults.actions,
      maxMemoryLimitBytes: parseQuantity(p.defaults.maxMemoryLimit) as number,
      maxReplicas: p.defaults.maxReplicas,
      twoPersonRule: p.defaults.twoPersonRule,
    },
    namespaces: p.namespaces.map((r) => ({
      match: r.match,
      cluster: r.cluster,
      actions: r.actions,
      maxMemoryLimitBytes: r.maxMemoryLimit === undefined ? undefined : parseQuantity(r.maxMemoryLimit),
      maxReplicas: r.maxReplicas,
      twoPersonRule: r.twoPersonRule,
      approvers: r.approvers,
    })),
  };
}

/** Read and validate the policy file (YAML or JSON); the default policy when `file` is unset. */
export async function loadPolicy(file: string | undefined): Promise<ApprovalPolicy> {
  if (!file) return DEFAULT_POLICY;
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new OomBotError(
      'config_invalid',
      `APPROVAL_POLICY_FILE ${file} cannot be read: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
      { cause: error },
    );
  }
  let document: unknown;
  try {
    document = parseYaml(text);
  } catch (error) {
    throw new OomBotError(
      'config_invalid',
      `APPROVAL_POLICY_FILE ${file} is not valid YAML: ${(error as Error).message.split('\n')[0]}`,
      { cause: error },
    );
  }
  return parsePolicy(document, file);
}

export function matchesNamespace(pattern: string, namespace: string): boolean {
  const regex = new RegExp(`^${pattern.split('*').map(escapeRegex).join('.*')}$`);
  return regex.test(namespace);
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The rule in force for a namespace: the first matching namespace rule over the defaults. */
interface EffectiveRule {
  /** "namespace rule prod-*" or "the defaults". */
  from: string;
  actions: RemediationAction[];
  maxMemoryLimitBytes: number;
  maxReplicas: number;
  twoPersonRule: boolean;
  approvers: Approvers;
}

/** The first rule whose namespace (and cluster, when it names one) matches, over the defaults. */
export function ruleFor(policy: ApprovalPolicy, namespace: string, cluster = DEFAULT_CLUSTER): EffectiveRule {
  const rule = policy.namespaces.find(
    (r) =>
      matchesNamespace(r.match, namespace) &&
      (r.cluster === undefined || matchesNamespace(r.cluster, cluster)),
  );
  const name = rule ? `namespace rule ${rule.match}${rule.cluster ? ` (cluster ${rule.cluster})` : ''}` : '';
  return {
    from: rule ? name : 'the defaults',
    actions: rule?.actions ?? policy.defaults.actions,
    maxMemoryLimitBytes: rule?.maxMemoryLimitBytes ?? policy.defaults.maxMemoryLimitBytes,
    maxReplicas: rule?.maxReplicas ?? policy.defaults.maxReplicas,
    twoPersonRule: rule?.twoPersonRule ?? policy.defaults.twoPersonRule,
    approvers: rule?.approvers ?? policy.approvers,
  };
}

/** What is being asked, by whom. */
export interface ApprovalRequest {
  action: RemediationAction;
  namespace: string;
  /** The kubeconfig context the change targets; DEFAULT_CLUSTER for the default one. */
  cluster?: string;
  /** "deployment/api", for messages. */
  workload?: string;
  /** The Slack user who clicked (or, at execution, the approver the worker checks). */
  user: string;
  cause: Cause;
  /** The memory limit the change would set (apply and rollback), or the VPA bound it would set (vpa_policy). */
  newLimitBytes?: number;
  /** The most replicas the change allows (scale out: the HPA's maxReplicas). */
  maxReplicas?: number;
  /** Resolves whether `user` belongs to a Slack user group. */
  inGroup?: (user: string, group: string) => Promise<boolean>;
}

type Decision = { allowed: true; rule: EffectiveRule } | { allowed: false; reason: string };

async function isApprover(approvers: Approvers, request: ApprovalRequest): Promise<boolean | 'unknown'> {
  if (approvers.users.includes(request.user)) return true;
  let unknown = false;
  for (const group of approvers.groups) {
    if (!request.inGroup) {
      unknown = true;
      continue;
    }
    try {
      if (await request.inGroup(request.user, group)) return true;
    } catch {
      unknown = true;
    }
  }
  return unknown ? 'unknown' : false;
}

/** "namespace prod of cluster eu-1", for messages. */
export function whereText(namespace: string, cluster = DEFAULT_CLUSTER): string {
  return cluster === DEFAULT_CLUSTER
    ? `namespace ${namespace}`
    : `namespace ${namespace} of cluster ${cluster}`;
}

/**
 * Decide one approval. In order: the action is allowed in the namespace (and cluster); never a
 * limit increase where that is the wrong fix; the limit is within the maximum; the replicas are
 * within the ceiling; the user is an approver. The two-person rule (two distinct approvers for
 * every write) is the rule's `twoPersonRule`, enforced where approvals are recorded and executed.
 */
export async function decide(policy: ApprovalPolicy, request: ApprovalRequest): Promise<Decision> {
  const cluster = request.cluster ?? DEFAULT_CLUSTER;
  const rule = ruleFor(policy, request.namespace, cluster);
  const name = actionName(request.action);
  const where = whereText(request.namespace, cluster);
  if (!rule.actions.includes(request.action)) {
    const none = policy === DEFAULT_POLICY ? ` No approval policy is configured, so only previews run.` : '';
    return {
      allowed: false,
      reason: `${name} is not allowed in ${where} by ${rule.from} of ${policy.source}.${none}`,
    };
  }
  if ((request.action === 'apply' || request.action === 'vpa_policy') && !mayRaiseLimit(request.cause)) {
    return {
      allowed: false,
      reason: `a bigger memory limit is the wrong fix for ${request.cause.replace('_', ' ')}, so ${name} is never offered for it.`,
    };
  }
  if (
    (request.action === 'apply' || request.action === 'rollback' || request.action === 'vpa_policy') &&
    request.newLimitBytes !== undefined &&
    request.newLimitBytes > rule.maxMemoryLimitBytes
  ) {
    return {
      allowed: false,
      reason: `the new memory limit ${bytes(request.newLimitBytes)} is above the ${bytes(rule.maxMemoryLimitBytes)} allowed in ${where} by ${rule.from}.`,
    };
  }
  if (request.action === 'scale_out' && (request.maxReplicas ?? Infinity) > rule.maxReplicas) {
    return {
      allowed: false,
      reason: `${request.maxReplicas ?? 'an unbounded number of'} replicas is above the ceiling of ${rule.maxReplicas} in ${where} set by ${rule.from} (maxReplicas).`,
    };
  }
  if (!WRITE_ACTIONS.has(request.action)) return { allowed: true, rule };
  const approver = await isApprover(rule.approvers, request);
  if (approver !== true) {
    const nobody = rule.approvers.users.length === 0 && rule.approvers.groups.length === 0;
    const why = nobody
      ? `nobody may approve changes in ${where} under ${policy.source}`
      : approver === 'unknown'
        ? `<@${request.user}> is not listed as an approver and their user group membership could not be checked`
        : `<@${request.user}> is not an approver for ${where} (${rule.from} of ${policy.source})`;
    return { allowed: false, reason: `${why}.` };
  }
  return { allowed: true, rule };
}

/** Approvals a write needs under a rule: two distinct approvers under the two-person rule. */
export function approvalsRequired(rule: EffectiveRule, action: RemediationAction): 1 | 2 {
  return rule.twoPersonRule && WRITE_ACTIONS.has(action) ? 2 : 1;
}
