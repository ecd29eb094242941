import { Duration } from 'cdk8s';
import { IConstruct } from 'constructs';
import { propError, requireIntegerInRange } from '../util/validation';

/**
 * What the registry's lifecycle settings become in the pod and in config.yml. Computed in one place so
 * that the drain timeout, the preStop pause and the grace period, and the storage health check and the
 * readiness gate, can never disagree.
 *
 * @internal
 */
export interface LifecyclePlan {
  /** `http.draintimeout`, such as `60s`. */
  readonly drainTimeout: string;
  /** Seconds the preStop hook sleeps; 0 for no hook. */
  readonly preStopSeconds: number;
  /** `terminationGracePeriodSeconds`: preStop pause + drain timeout + a margin to exit. */
  readonly terminationGraceSeconds: number;
  /** `health.storagedriver`, or undefined when the check is off. */
  readonly healthCheck?: { readonly enabled: boolean; readonly interval: string; readonly threshold: number };
  /** Readiness probe timings. */
  readonly readiness: {
    readonly initialDelaySeconds: number;
    readonly periodSeconds: number;
    readonly failureThreshold: number;
    readonly timeoutSeconds: number;
  };
  /** `minReadySeconds` of the Deployment. */
  readonly minReadySeconds: number;
}

/** The lifecycle props of a registry, as `RegistryDeploymentProps` declares them. @internal */
export interface LifecycleInput {
  readonly drainTimeout?: Duration;
  readonly preStopPause?: Duration;
  readonly storageHealthCheck?: boolean;
  readonly storageHealthCheckInterval?: Duration;
  readonly storageHealthCheckThreshold?: number;
}

/** Seconds the registry gets after draining to exit before the kubelet sends SIGKILL. */
const EXIT_MARGIN_SECONDS = 5;
/** Readiness probe period and failure threshold once the pod has started. */
const READINESS_PERIOD_SECONDS = 5;
const READINESS_FAILURE_THRESHOLD = 2;

function wholeSeconds(scope: IConstruct, property: string, value: Duration, min: number, max: number): number {
  const ms = value.toMilliseconds();
  if (!Number.isFinite(ms) || ms % 1000 !== 0) {
    throw propError(scope, property, `(${ms} ms) must be a whole number of seconds, for example Duration.seconds(30)`);
  }
  requireIntegerInRange(scope, property, ms / 1000, min, max);
  return ms / 1000;
}

/**
 * Ties graceful shutdown and the rollout gate to the registry's own settings.
 *
 * Shutdown: the kubelet runs the preStop pause first (Services and load balancers stop sending new
 * requests meanwhile), then sends SIGTERM; with `http.draintimeout` the registry stops accepting and
 * finishes requests in flight for up to that long (without it, it dies on the signal). The grace period
 * covers both plus a margin.
 *
 * Rollout gate: the registry answers 200 on every path until its storage check has failed `threshold`
 * times in a row, one check every `interval`, the first one `interval` after start. So the readiness
 * probe starts only after a full verdict plus one interval, and a new pod counts as available only after
 * it stayed ready for another verdict plus the probe's own failure window (`minReadySeconds`): a pod
 * whose storage does not work turns 503 before it can replace a working one.
 *
 * @internal
 */
export function planLifecycle(scope: IConstruct, input: LifecycleInput): LifecyclePlan {
  const drain = wholeSeconds(scope, 'drainTimeout', input.drainTimeout ?? Duration.seconds(60), 1, 3600);
  const preStop = wholeSeconds(scope, 'preStopPause', input.preStopPause ?? Duration.seconds(10), 0, 600);
  const checkEnabled = input.storageHealthCheck ?? true;
  if (!checkEnabled && (input.storageHealthCheckInterval !== undefined || input.storageHealthCheckThreshold !== undefined)) {
    throw propError(scope, 'storageHealthCheck', 'is false, so storageHealthCheckInterval and storageHealthCheckThreshold have no effect: drop them, or enable the check');
  }
  const interval = wholeSeconds(scope, 'storageHealthCheckInterval', input.storageHealthCheckInterval ?? Duration.seconds(5), 1, 300);
  const threshold = input.storageHealthCheckThreshold ?? 2;
  requireIntegerInRange(scope, 'storageHealthCheckThreshold', threshold, 1, 10);

  const verdict = checkEnabled ? interval * threshold : 0;
  return {
    drainTimeout: `${drain}s`,
    preStopSeconds: preStop,
    terminationGraceSeconds: preStop + drain + EXIT_MARGIN_SECONDS,
    healthCheck: checkEnabled ? { enabled: true, interval: `${interval}s`, threshold } : undefined,
    readiness: {
      initialDelaySeconds: checkEnabled ? verdict + interval : 0,
      periodSeconds: READINESS_PERIOD_SECONDS,
      failureThreshold: READINESS_FAILURE_THRESHOLD,
      timeoutSeconds: READINESS_PERIOD_SECONDS,
    },
    minReadySeconds: checkEnabled ? verdict + READINESS_PERIOD_SECONDS * READINESS_FAILURE_THRESHOLD : 0,
  };
}

/**
 * Why the pod as rendered (after any escape-hatch patch of the Deployment) would have its registry killed before it
 * has drained, or undefined: the kubelet runs the preStop hook, then sends SIGTERM, and kills the container when
 * `terminationGracePeriodSeconds` (counted from the start) ends. An eviction (node drain) honours the same period.
 *
 * @internal
 */
export function lifecycleProblem(pod: { [key: string]: any }, containerName: string, plan: LifecyclePlan): string | undefined {
  const container = (pod.containers ?? []).find((c: { [key: string]: any }) => c.name === containerName);
  if (!container) return undefined;
  // Kubernetes' default when the field is absent.
  const grace: number = pod.terminationGracePeriodSeconds ?? 30;
  const command = container.lifecycle?.preStop?.exec?.command;
  const sleep = Array.isArray(command) && command.length === 2 && command[0] === 'sleep' && /^\d+$/.test(command[1]) ? Number(command[1]) : undefined;
  const preStop = sleep ?? (container.lifecycle?.preStop ? undefined : 0);
  if (preStop === undefined) return undefined; // a hook of the user's own: its length is unknown
  const drain = Number(plan.drainTimeout.replace(/s$/, ''));
  const needed = preStop + drain;
  if (grace >= needed) return undefined;
  return `the pod's terminationGracePeriodSeconds (${grace}) ends before the registry has drained: the preStop pause (${preStop} s) and `
    + `drainTimeout (${drain} s) need ${needed} s, and the kubelet kills the registry when the grace period ends, on rollouts and node drains alike, `
    + `cutting the uploads in flight. Drop the patch that sets it (the library sets ${needed + EXIT_MARGIN_SECONDS}), or lower drainTimeout or preStopPause to fit`;
}
