/**
 * Alertmanager alerts for the benchmarks: OOM alerts as kube-state-metrics labels them, pod names
 * in Kubernetes' alphabet, and version-4 webhook payloads as Alertmanager posts them.
 */

export interface AmAlert {
  labels: Record<string, string>;
  annotations?: Record<string, string>;
  startsAt: string;
  endsAt: string;
}

const ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** `n` written in Kubernetes' pod-name alphabet, `width` characters. */
export function k8sChars(n: number, width: number): string {
  let out = '';
  for (let k = 0, x = n; k < width; k++, x = Math.floor(x / ALPHABET.length))
    out = ALPHABET[x % ALPHABET.length] + out;
  return out;
}

/** A Deployment pod name: `<workload>-<template hash>-<suffix>`. */
export function podName(workload: string, workloadIndex: number, podIndex: number): string {
  return `${workload}-${k8sChars(workloadIndex * 7919 + 104_729, 9)}-${k8sChars(workloadIndex * 10 + podIndex, 5)}`;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** A firing OOM alert (KubeContainerOOMKilled, or the CrashLoop-after-OOM one). */
export function oomAlert(options: {
  namespace: string;
  workload: string;
  workloadIndex: number;
  podIndex: number;
  container: string;
  crashLoop?: boolean;
  nowMs: number;
}): AmAlert {
  const alertname = options.crashLoop ? 'KubeContainerCrashLoopOOM' : 'KubeContainerOOMKilled';
  return {
    labels: {
      alertname,
      namespace: options.namespace,
      pod: podName(options.workload, options.workloadIndex, options.podIndex),
      container: options.container,
      severity: 'warning',
      ...(options.crashLoop ? { reason: 'OOMKilled' } : {}),
    },
    startsAt: iso(options.nowMs - 120_000 + options.podIndex * 1000),
    endsAt: iso(options.nowMs + 900_000),
  };
}

/** The body Alertmanager 0.25 posts to a webhook receiver for one group. */
export function webhookPayload(alerts: AmAlert[], groupKey: string): string {
  return JSON.stringify({
    version: '4',
    groupKey,
    truncatedAlerts: 0,
    status: 'firing',
    receiver: 'oom-bot',
    groupLabels: { alertname: alerts[0]?.labels.alertname ?? '' },
    commonLabels: {},
    commonAnnotations: {},
    externalURL: 'http://alertmanager.invalid',
    alerts: alerts.map((a) => ({
      status: 'firing',
      labels: a.labels,
      annotations: a.annotations ?? {},
      startsAt: a.startsAt,
      endsAt: '0001-01-01T00:00:00Z',
      generatorURL: '',
    })),
  });
}
