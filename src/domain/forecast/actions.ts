/**
 * The one action that fits each risk, with the command that carries the real names (and the
 * workload's pod selector, so the verify commands look at exactly its pods). Pure.
 */

import type { Action } from '../action-types.ts';
import { renderMemoryPatch, renderVerifyCommands } from '../commands.ts';
import { bytes, duration } from '../format.ts';
import { adviseHeapFlag, findHeapSettings } from '../heap.ts';
import { roundUpToTidy, toQuantity } from '../quantity.ts';
import type { Target } from '../types.ts';
import type { ContainerStats, RiskKind } from './types.ts';

function targetOf(s: ContainerStats): Target {
  return {
    cluster: s.target.cluster,
    namespace: s.target.namespace,
    workload: s.target.workload,
    selector: s.target.selector ?? {},
  };
}

function memoryAction(
  s: ContainerStats,
  kind: 'patch_memory_limit' | 'adjust_requests',
  title: string,
  limit: number,
  request: number,
  detail?: string,
): Action {
  const memoryPatch = { container: s.target.container, limitBytes: limit, requestBytes: request };
  const t = targetOf(s);
  const command = `${renderMemoryPatch(t, memoryPatch)}\n${renderVerifyCommands(t)}`;
  return { kind, title, detail, command, memoryPatch };
}

/** A limit with a quarter of headroom over the peak, and a request that covers usage. */
export function raiseLimit(s: ContainerStats, peakBytes: number): Action {
  const limit = roundUpToTidy(peakBytes * 1.25);
  const request = Math.min(limit, roundUpToTidy(Math.max(s.requestBytes ?? 0, s.currentBytes ?? 0)));
  return memoryAction(
    s,
    'patch_memory_limit',
    `Raise ${s.target.container} to ${toQuantity(limit)} limit / ${toQuantity(request)} request`,
    limit,
    request,
    `peak ${bytes(peakBytes)} + 25% headroom, rounded up`,
  );
}

function fixHeap(s: ContainerStats): Action {
  const limit = s.limitBytes ?? 0;
  const setting = s.spec ? findHeapSettings({ ...s.spec, limitBytes: limit }).at(-1) : undefined;
  const runtime = setting?.runtime ?? 'jvm';
  return {
    kind: 'fix_runtime_heap',
    title: `Set the ${runtime} heap to ${adviseHeapFlag(runtime, limit)} (inside the ${bytes(limit)} limit)`,
    detail: setting ? `now ${setting.flag} in ${setting.source}` : undefined,
  };
}

function investigateLeak(s: ContainerStats, pod: string | undefined, etaSeconds: number | null): Action {
  const where = pod ?? s.pods[0] ?? s.target.workload.name;
  return {
    kind: 'investigate_leak',
    title: `Take a heap profile of ${where}${etaSeconds === null ? '' : ` within ${duration(etaSeconds)}, before the limit`}`,
    command: `kubectl -n ${s.target.namespace} top pod ${where} --containers`,
  };
}

function fitRequest(s: ContainerStats): Action {
  const usage = Math.max(s.currentBytes ?? 0, s.requestBytes ?? 0);
  const request = roundUpToTidy(usage * 1.1);
  const limit = s.limitBytes ?? roundUpToTidy(Math.max(s.peakBytes ?? 0, request) * 1.5);
  return memoryAction(
    s,
    'adjust_requests',
    `Set the memory request of ${s.target.container} to ${toQuantity(Math.min(request, limit))}${s.limitBytes === undefined ? ` and a ${toQuantity(limit)} limit` : ''}`,
    limit,
    Math.min(request, limit),
    'usage + 10%, so the pod is not the first the kubelet evicts',
  );
}

/** The action for a risk found without a full diagnosis (recent kills take the diagnosis's). */
export function actionFor(
  risk: RiskKind,
  s: ContainerStats,
  context: { pod?: string; etaSeconds: number | null },
): Action {
  switch (risk) {
    case 'heap_above_limit':
      return fixHeap(s);
    case 'leak':
      return investigateLeak(s, context.pod, context.etaSeconds);
    case 'request_far_below_usage':
      return fitRequest(s);
    default:
      return raiseLimit(s, s.peakBytes ?? s.limitBytes ?? 0);
  }
}
