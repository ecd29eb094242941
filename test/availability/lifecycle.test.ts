import { ApiObject, Duration, JsonPatch, Testing } from 'cdk8s';
import { build, objectsOf } from './helpers';
import { validateChart } from '../util/validate-manifests';

describe('graceful shutdown', () => {
  test('defaults: draintimeout 60s, preStop sleep 10, grace = pause + drain + 5', () => {
    const { chart } = build();
    const { config, pod, container } = objectsOf(chart);
    expect(config.http.draintimeout).toBe('60s');
    expect(container.lifecycle).toEqual({ preStop: { exec: { command: ['sleep', '10'] } } });
    expect(pod.terminationGracePeriodSeconds).toBe(75);
  });

  test('the grace period follows drainTimeout and preStopPause', () => {
    const { chart } = build({ drainTimeout: Duration.minutes(5), preStopPause: Duration.seconds(25) });
    const { config, pod, container } = objectsOf(chart);
    expect(config.http.draintimeout).toBe('300s');
    expect(container.lifecycle.preStop.exec.command).toEqual(['sleep', '25']);
    expect(pod.terminationGracePeriodSeconds).toBe(330);
  });

  test('preStopPause 0 renders no hook (images without sleep)', () => {
    const { chart } = build({ preStopPause: Duration.seconds(0) });
    const { pod, container } = objectsOf(chart);
    expect(container.lifecycle).toBeUndefined();
    expect(pod.terminationGracePeriodSeconds).toBe(65);
  });

  test('bad durations are refused with the property named', () => {
    expect(() => build({ drainTimeout: Duration.millis(1500) })).toThrow(/Registry: 'drainTimeout' \(1500 ms\) must be a whole number of seconds/);
    expect(() => build({ drainTimeout: Duration.seconds(0) })).toThrow(/'drainTimeout' \(0\) must be a whole number from 1 to 3600/);
    expect(() => build({ preStopPause: Duration.hours(1) })).toThrow(/'preStopPause' \(3600\) must be a whole number from 0 to 600/);
  });

  test('a pod spec patched so the grace period ends before the drain is refused', () => {
    // GIVEN an escape-hatch patch of the grace period below preStop (10 s) + drainTimeout (60 s)
    const { chart, registry } = build({}, 'Registry', true);
    ApiObject.of(registry.deployment).addJsonPatch(JsonPatch.replace('/spec/template/spec/terminationGracePeriodSeconds', 30));
    expect(() => Testing.synth(chart)).toThrow(/test\/Registry: the pod's terminationGracePeriodSeconds \(30\) ends before the registry has drained: the preStop pause \(10 s\) and drainTimeout \(60 s\) need 70 s.*the library sets 75/);
    // a longer preStop pause patched in counts too
    const longer = build({}, 'Registry', true);
    ApiObject.of(longer.registry.deployment).addJsonPatch(JsonPatch.replace('/spec/template/spec/containers/0/lifecycle/preStop/exec/command', ['sleep', '30']));
    expect(() => Testing.synth(longer.chart)).toThrow(/preStop pause \(30\ s\) and drainTimeout \(60 s\) need 90 s/);
    // a grace period raised by a patch is fine
    const raised = build({}, 'Registry', true);
    ApiObject.of(raised.registry.deployment).addJsonPatch(JsonPatch.replace('/spec/template/spec/terminationGracePeriodSeconds', 600));
    expect(() => validateChart(raised.chart)).not.toThrow();
  });
});

describe('readiness gate on storage health', () => {
  test('defaults: check every 5s, 2 failures; probe waits a verdict + an interval; minReadySeconds another verdict', () => {
    const { chart } = build({}, 'Registry', true);
    const { config, deployment, container } = objectsOf(chart);
    expect(config.health.storagedriver).toEqual({ enabled: true, interval: '5s', threshold: 2 });
    expect(container.readinessProbe).toMatchObject({ httpGet: { path: '/', port: 5000 }, initialDelaySeconds: 15, periodSeconds: 5, failureThreshold: 2 });
    expect(deployment.spec.minReadySeconds).toBe(20);
    expect(deployment.spec.strategy.rollingUpdate).toEqual({ maxSurge: 1, maxUnavailable: 0 });
  });

  test('interval and threshold drive the probe and minReadySeconds', () => {
    const { chart } = build({ storageHealthCheckInterval: Duration.seconds(2), storageHealthCheckThreshold: 3 });
    const { config, deployment, container } = objectsOf(chart);
    expect(config.health.storagedriver).toEqual({ enabled: true, interval: '2s', threshold: 3 });
    expect(container.readinessProbe.initialDelaySeconds).toBe(8);
    expect(deployment.spec.minReadySeconds).toBe(16);
  });

  test('without the check there is no gate, and tuning it is refused', () => {
    const { chart } = build({ storageHealthCheck: false });
    const { config, deployment, container } = objectsOf(chart);
    expect(config.health).toBeUndefined();
    expect(container.readinessProbe.initialDelaySeconds ?? 0).toBe(0);
    expect(deployment.spec.minReadySeconds).toBe(0);
    expect(() => build({ storageHealthCheck: false, storageHealthCheckThreshold: 2 })).toThrow(/'storageHealthCheck' is false, so storageHealthCheckInterval and storageHealthCheckThreshold have no effect/);
    expect(() => build({ storageHealthCheckThreshold: 0 })).toThrow(/'storageHealthCheckThreshold' \(0\) must be a whole number from 1 to 10/);
  });
});
