/**
 * Pod objects with status as the simulation left them (running, CrashLoopBackOff, evicted), and
 * the container specs they share with the workload's pod template.
 */
import type { Random } from './random.ts';
import { formatGoDuration, formatIso, HEX, quantity, READY_DELAY } from './shared.ts';
import { drawSidecarLimit, SIDECAR_IMAGE, secondContainer } from './sidecar.ts';
import type { KubeDocument } from './types.ts';
import type { PodInstance, Revision, SimResult, World } from './world.ts';

/** The pods whose objects exist at `at`: not deleted and already created. */
export function listExistingPods(w: World): PodInstance[] {
  return w.pods.filter((p) => p.endKind !== 'deleted' && p.createdAt <= w.at);
}

function probeSpec(port: number): Record<string, unknown> {
  return {
    livenessProbe: {
      httpGet: { path: '/healthz', port, scheme: 'HTTP' },
      periodSeconds: 10,
      timeoutSeconds: 1,
      failureThreshold: 3,
      successThreshold: 1,
    },
    readinessProbe: {
      httpGet: { path: '/ready', port, scheme: 'HTTP' },
      periodSeconds: 5,
      timeoutSeconds: 1,
      failureThreshold: 3,
      successThreshold: 1,
    },
  };
}

export function buildMainContainerSpec(w: World, image: string, rev?: Revision): Record<string, unknown> {
  const c: Record<string, unknown> = { name: w.spec.container, image };
  const rt = w.runtimeEnv;
  if (rt.command) c.command = rt.command;
  if (rt.args) c.args = rt.args;
  // A sidecar declared in the template (the sidecar-image regression) leaves the app its port.
  c.ports = w.companion
    ? [{ containerPort: 9901, name: 'admin', protocol: 'TCP' }]
    : [{ containerPort: 8080, name: 'http', protocol: 'TCP' }];
  const env = [...rt.env];
  env.push({ name: 'LOG_LEVEL', value: 'info' }, ...(rev?.extraEnv ?? []));
  c.env = env;
  c.resources = {
    requests: { cpu: '250m', memory: quantity(w.request) },
    limits: { memory: quantity(rev?.limitBytes ?? w.L) },
  };
  if (!w.companion) Object.assign(c, probeSpec(8080));
  c.imagePullPolicy = 'IfNotPresent';
  c.terminationMessagePath = '/dev/termination-log';
  c.terminationMessagePolicy = 'File';
  return c;
}

/** The second container's spec: the injected istio-proxy, or the quiet application beside a sidecar. */
export function sidecarContainerSpec(w: World): Record<string, unknown> {
  const limit = drawSidecarLimit(w);
  const resources: Record<string, unknown> = { requests: { cpu: '100m', memory: '128Mi' } };
  if (limit > 0) resources.limits = { cpu: '2', memory: quantity(limit) };
  const second = secondContainer(w);
  if (!second.istio)
    return {
      name: second.name,
      image: second.image,
      ports: [{ containerPort: 8080, name: 'http', protocol: 'TCP' }],
      env: [{ name: 'LOG_LEVEL', value: 'info' }],
      resources,
      ...probeSpec(8080),
      imagePullPolicy: 'IfNotPresent',
    };
  return {
    name: 'istio-proxy',
    image: SIDECAR_IMAGE,
    args: [
      'proxy',
      'sidecar',
      '--domain',
      `${w.spec.namespace}.svc.cluster.local`,
      '--proxyLogLevel=warning',
    ],
    ports: [{ containerPort: 15090, name: 'http-envoy-prom', protocol: 'TCP' }],
    resources,
  };
}

function containerId(r: Random): string {
  return `containerd://${r.chars(64, HEX)}`;
}

function imageId(image: string, r: Random): string {
  return `${image.split(':')[0]}@sha256:${r.chars(64, HEX)}`;
}

export function buildPodObject(w: World, pod: PodInstance, r: Random): KubeDocument {
  const spec = w.spec;
  const ns = spec.namespace;
  const sim = pod.sim as SimResult;
  const sts = spec.workloadKind === 'StatefulSet';
  const labels: Record<string, string> = { ...w.labels };
  if (sts) {
    labels['controller-revision-hash'] = pod.rev.name;
    labels['statefulset.kubernetes.io/pod-name'] = pod.name;
    labels['apps.kubernetes.io/pod-index'] = String(pod.slot);
  } else {
    labels['pod-template-hash'] = pod.rev.hash;
  }
  const annotations: Record<string, string> = { ...pod.rev.templateAnnotations };
  const containers: Record<string, unknown>[] = [buildMainContainerSpec(w, pod.rev.image, pod.rev)];
  const second = secondContainer(w);
  if (spec.sidecar && second.istio) {
    labels['security.istio.io/tlsMode'] = 'istio';
    labels['service.istio.io/canonical-name'] = spec.workload;
    labels['service.istio.io/canonical-revision'] = 'latest';
    annotations['sidecar.istio.io/status'] =
      '{"initContainers":["istio-init"],"containers":["istio-proxy"],"volumes":["istio-envoy","istio-data","istio-podinfo","istio-token","istiod-ca-cert"],"imagePullSecrets":null,"revision":"default"}';
  }
  if (spec.sidecar) {
    if (second.istio) containers.push(sidecarContainerSpec(w));
    else containers.unshift(sidecarContainerSpec(w));
  }
  const evicted = pod.endKind === 'evicted';
  const startTime = pod.createdAt + 1;
  const terms = sim.terms;
  const lastTerm = terms.length > 0 ? terms[terms.length - 1] : pod.priorLast;
  const restartCount = pod.priorRestarts + terms.length;
  const ids = r.fork(pod.name);
  const mainStatus: Record<string, unknown> = {
    name: spec.container,
    image: pod.rev.image,
    imageID: imageId(pod.rev.image, ids),
    containerID: containerId(ids),
    restartCount,
    started: false,
    ready: false,
  };
  const lastState: Record<string, unknown> = {};
  if (lastTerm) {
    lastState.terminated = {
      exitCode: lastTerm.exitCode,
      reason: lastTerm.reason,
      startedAt: formatIso(lastTerm.startedAt),
      finishedAt: formatIso(lastTerm.finishedAt),
      containerID: containerId(ids),
    };
  }
  let readyNow = false;
  let readySince = startTime;
  if (evicted) {
    mainStatus.state = {
      terminated: {
        exitCode: 137,
        reason: 'ContainerStatusUnknown',
        message: 'The container could not be located when the pod was terminated',
        startedAt: formatIso(sim.lastLifeStart),
        finishedAt: formatIso(pod.endAt),
      },
    };
    readySince = pod.endAt;
  } else if (sim.final.kind === 'running') {
    readyNow = w.at - sim.final.startedAt >= READY_DELAY;
    mainStatus.state = { running: { startedAt: formatIso(sim.final.startedAt) } };
    mainStatus.started = true;
    mainStatus.ready = readyNow;
    readySince = sim.final.startedAt + (readyNow ? READY_DELAY : 0);
  } else if (sim.final.kind === 'waiting') {
    mainStatus.state = {
      waiting: {
        reason: 'CrashLoopBackOff',
        message: `back-off ${formatGoDuration(sim.lastDelay)} restarting failed container=${spec.container} pod=${pod.name}_${ns}(${pod.uid})`,
      },
    };
    readySince = lastTerm?.finishedAt ?? startTime;
  } else {
    mainStatus.state = { waiting: { reason: 'ContainerCreating' } };
  }
  mainStatus.lastState = lastState;
  const statuses: Record<string, unknown>[] = [mainStatus];
  if (spec.sidecar) {
    const scIds = r.fork(`${pod.name}:sidecar`);
    statuses.push({
      name: second.name,
      image: second.image,
      imageID: imageId(second.image, scIds),
      containerID: containerId(scIds),
      restartCount: 0,
      started: !evicted,
      ready: !evicted,
      state: evicted
        ? {
            terminated: {
              exitCode: 137,
              reason: 'ContainerStatusUnknown',
              message: 'The container could not be located when the pod was terminated',
              startedAt: formatIso(startTime + 2),
              finishedAt: formatIso(pod.endAt),
            },
          }
        : { running: { startedAt: formatIso(startTime + 2) } },
      lastState: {},
    });
  }
  const readyStatus = readyNow ? 'True' : 'False';
  const notReady = readyNow
    ? {}
    : {
        reason: evicted ? 'PodFailed' : 'ContainersNotReady',
        message: evicted ? undefined : `containers with unready status: [${spec.container}]`,
      };
  const clean = (o: Record<string, unknown>) =>
    Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
  const conditions: Record<string, unknown>[] = [
    {
      type: 'PodReadyToStartContainers',
      status: evicted ? 'False' : 'True',
      lastTransitionTime: formatIso(evicted ? pod.endAt : startTime + 2),
    },
    { type: 'Initialized', status: 'True', lastTransitionTime: formatIso(startTime + 1) },
    clean({ type: 'Ready', status: readyStatus, lastTransitionTime: formatIso(readySince), ...notReady }),
    clean({
      type: 'ContainersReady',
      status: readyStatus,
      lastTransitionTime: formatIso(readySince),
      ...notReady,
    }),
    { type: 'PodScheduled', status: 'True', lastTransitionTime: formatIso(pod.createdAt) },
  ];
  if (evicted) {
    conditions.unshift({
      type: 'DisruptionTarget',
      status: 'True',
      reason: 'TerminationByKubelet',
      message: pod.evictionMessage?.split(' Container ')[0] ?? 'The node was low on resource: memory.',
      lastTransitionTime: formatIso(pod.endAt),
    });
  }
  const ownerKind = sts ? 'StatefulSet' : 'ReplicaSet';
  const ownerName = sts ? spec.workload : pod.rev.name;
  const status: Record<string, unknown> = {
    phase: evicted ? 'Failed' : 'Running',
    conditions,
    hostIP: pod.node.ip,
    hostIPs: [{ ip: pod.node.ip }],
    startTime: formatIso(startTime),
    qosClass: 'Burstable',
    containerStatuses: statuses,
  };
  if (evicted) {
    status.reason = 'Evicted';
    status.message = pod.evictionMessage;
  } else {
    status.podIP = pod.ip;
    status.podIPs = [{ ip: pod.ip }];
  }
  const metadata: Record<string, unknown> = {
    name: pod.name,
    namespace: ns,
    uid: pod.uid,
    labels,
    creationTimestamp: formatIso(pod.createdAt),
    ownerReferences: [
      {
        apiVersion: 'apps/v1',
        kind: ownerKind,
        name: ownerName,
        uid: sts ? `uid-${spec.workload}` : `uid-${pod.rev.name}`,
        controller: true,
        blockOwnerDeletion: true,
      },
    ],
  };
  if (Object.keys(annotations).length > 0) metadata.annotations = annotations;
  const podSpec: Record<string, unknown> = {
    nodeName: pod.node.name,
    containers,
    restartPolicy: 'Always',
    terminationGracePeriodSeconds: 30,
    serviceAccountName: spec.workload,
    schedulerName: 'default-scheduler',
    priority: 0,
    enableServiceLinks: true,
    tolerations: [
      {
        key: 'node.kubernetes.io/not-ready',
        operator: 'Exists',
        effect: 'NoExecute',
        tolerationSeconds: 300,
      },
      {
        key: 'node.kubernetes.io/unreachable',
        operator: 'Exists',
        effect: 'NoExecute',
        tolerationSeconds: 300,
      },
    ],
  };
  if (sts) {
    podSpec.hostname = pod.name;
    podSpec.subdomain = spec.service;
  }
  return { apiVersion: 'v1', kind: 'Pod', metadata, spec: podSpec, status };
}
