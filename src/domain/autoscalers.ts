/**
 * Advice that an autoscaler would otherwise undo or bend, pure: the VPA that rewrites requests at
 * pod creation gets its own bounds changed (a `vpa_policy` action), and an HPA on memory
 * utilization (usage / request) is shown what a new request does to it, its target moved with
 * the request where the scale-out point should stay put.
 */

import type { Action, HpaMemoryTargetSpec, VpaPolicySpec } from './action-types.ts';
import type { VpaContainerBounds } from './autoscaler-types.ts';
import { renderVpaPolicy } from './commands.ts';
import { bytes } from './format.ts';
import { parseQuantity, toQuantity } from './quantity.ts';
import type { Cause, Evidence, Recommendation } from './types.ts';

/** Update modes in which the VPA sets the pods' requests when they are created. */
const REWRITING_MODES: ReadonlySet<string> = new Set(['Auto', 'Recreate', 'Initial', 'InPlaceOrRecreate']);

/** A VPA that sets requests when pods are created (Auto, Recreate, Initial): it overrides a patched template. */
export function vpaRewritesRequests(e: Evidence): Evidence['vpa'] | undefined {
  return e.vpa && REWRITING_MODES.has(e.vpa.mode) ? e.vpa : undefined;
}

/** The VPA entry that governs a container: its own, else the `*` default entry. */
function vpaBoundsFor(e: Evidence, container: string): VpaContainerBounds | undefined {
  const entries = e.vpa?.containers ?? [];
  return entries.find((c) => c.containerName === container) ?? entries.find((c) => c.containerName === '*');
}

/**
 * The VPA bounds that hold the recommended request: minAllowed at the request (the VPA never
 * sets less), and maxAllowed raised to it only when it sits below. Undefined when the VPA's
 * floor is already there.
 */
export function planVpaBounds(
  e: Evidence,
  container: string,
  requestBytes: number,
): VpaPolicySpec | undefined {
  const vpa = vpaRewritesRequests(e);
  if (!vpa || requestBytes <= 0) return undefined;
  const bounds = vpaBoundsFor(e, container);
  // an entry in Off mode, or one that leaves memory out, does not touch this container's memory
  if (bounds?.mode === 'Off' || bounds?.controlsMemory === false) return undefined;
  const min = parseQuantity(bounds?.minAllowedMemory);
  if (min !== undefined && min >= requestBytes) return undefined;
  const max = parseQuantity(bounds?.maxAllowedMemory);
  return {
    vpaName: vpa.name,
    container,
    minAllowedBytes: requestBytes,
    ...(max !== undefined && max < requestBytes ? { maxAllowedBytes: requestBytes } : {}),
  };
}

/** The `vpa_policy` action: the change where it holds when a VPA rewrites the container's requests. */
export function vpaPolicyAction(e: Evidence, container: string, rec: Recommendation): Action | undefined {
  const spec = planVpaBounds(e, container, rec.memoryRequestBytes);
  const vpa = e.vpa;
  if (!spec || !vpa) return undefined;
  const max =
    spec.maxAllowedBytes === undefined ? '' : ` and maxAllowed to ${toQuantity(spec.maxAllowedBytes)}`;
  const ratio =
    vpa.controlledValues === 'RequestsOnly'
      ? 'it leaves the limit to the template'
      : 'it keeps the template’s limit:request ratio, so the limit follows the request it sets';
  return {
    kind: 'vpa_policy',
    title: `Raise VPA ${vpa.name}'s minAllowed memory for ${container} to ${toQuantity(spec.minAllowedBytes)}${max}`,
    detail: `VPA ${vpa.name} (${vpa.mode}) sets the requests when pods are created and ${ratio}: its bounds are where a bigger request holds`,
    command: renderVpaPolicy(e.target, spec),
    vpaPolicy: spec,
  };
}

/** What a new request does to an HPA on memory utilization, and the target move when it is right. */
interface HpaMemoryEffect {
  /** "HPA api scales on memory at 80% of the request: with request 1Gi it adds pods at 819Mi per pod, was 410Mi". */
  text: string;
  target?: HpaMemoryTargetSpec;
}

/**
 * The effect of a request change on an HPA that scales on memory utilization. For a traffic
 * surge (memory follows load) the target moves so the HPA still adds pods at the same usage per
 * pod; otherwise the memory is not load and the target stays, the effect only said.
 */
export function hpaMemoryEffect(
  e: Evidence,
  cause: Cause,
  fromRequestBytes: number | undefined,
  toRequestBytes: number,
): HpaMemoryEffect | undefined {
  const hpa = e.hpa;
  const target = hpa?.memoryTarget;
  if (!hpa || !target || toRequestBytes <= 0) return undefined;
  const pct = target.averageUtilization;
  const at = (request: number) => bytes((request * pct) / 100);
  const was = fromRequestBytes && fromRequestBytes > 0 ? `, was ${at(fromRequestBytes)}` : ', was no request';
  const text = `HPA ${hpa.name} scales on memory at ${pct}% of the request: with request ${toQuantity(toRequestBytes)} it adds pods at ${at(toRequestBytes)} per pod${was}`;
  if (cause !== 'traffic_surge' || !fromRequestBytes || fromRequestBytes === toRequestBytes)
    return {
      text:
        cause === 'traffic_surge'
          ? text
          : `${text} (the memory does not follow load here, so its target stays)`,
    };
  const toPercent = Math.max(1, Math.round((pct * fromRequestBytes) / toRequestBytes));
  if (toPercent === pct) return { text };
  return {
    text: `${text}; Apply moves its target to ${toPercent}% so it still adds pods at ${at(fromRequestBytes)}`,
    target: { hpaName: hpa.name, metricIndex: target.index, fromPercent: pct, toPercent },
  };
}
