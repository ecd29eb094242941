/**
 * Synthesis benchmark: how much a RegistryDeployment costs over the plain cdk8s-plus objects a user would
 * write by hand (Deployment, Service, ConfigMap, PVC, ServiceAccount), both measured in this run.
 * Reports ratios, never absolute pass/fail thresholds: machines differ, ratios travel.
 *
 *   npm run bench            # default rounds
 *   BENCH_ROUNDS=200 npm run bench
 */
import * as fs from 'fs';
import * as path from 'path';
import { performance } from 'perf_hooks';
import { App, Chart, Size, Yaml } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { HtpasswdAuth, RegistryAuth, RegistryDeployment, StorageBackend } from '../src';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 60);
const WARMUP = 5;

/** The baseline: the same kinds of objects, written directly with cdk8s-plus. */
function handWritten(): string {
  const app = new App({ outdir: '/dev/null' });
  const chart = new Chart(app, 'baseline', { namespace: 'container-registry' });
  const sa = new kplus.ServiceAccount(chart, 'sa', { automountToken: false });
  const cm = new kplus.ConfigMap(chart, 'config', { data: { 'config.yml': 'version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: /var/lib/registry\n' } });
  const pvc = new kplus.PersistentVolumeClaim(chart, 'data', { storage: Size.gibibytes(10), accessModes: [kplus.PersistentVolumeAccessMode.READ_WRITE_ONCE] });
  const deployment = new kplus.Deployment(chart, 'registry', { replicas: 1, serviceAccount: sa, strategy: kplus.DeploymentStrategy.recreate() });
  const container = deployment.addContainer({ image: 'registry:3.0.0', portNumber: 5000, securityContext: { user: 1000, group: 1000 } });
  container.mount('/etc/distribution', kplus.Volume.fromConfigMap(chart, 'cv', cm));
  container.mount('/var/lib/registry', kplus.Volume.fromPersistentVolumeClaim(chart, 'dv', pvc));
  deployment.exposeViaService({ ports: [{ port: 5000 }] });
  return chart.toJson().map((o) => Yaml.stringify(o)).join('---\n');
}

/** The library: a registry on a PVC. */
function withLibrary(): string {
  const app = new App({ outdir: '/dev/null' });
  const chart = new Chart(app, 'registry', { namespace: 'container-registry' });
  new RegistryDeployment(chart, 'Registry', { auth: RegistryAuth.none(), storage: StorageBackend.persistentVolumeClaim() });
  return chart.toJson().map((o) => Yaml.stringify(o)).join('---\n');
}

/** The library with five htpasswd users hashed at synth time (bcrypt at the default cost). */
function withHtpasswdUsers(): string {
  const app = new App({ outdir: '/dev/null' });
  const chart = new Chart(app, 'registry', { namespace: 'container-registry' });
  const users = [1, 2, 3, 4, 5].map((i) => ({ username: `robot-${i}`, password: `bench-password-${i}-not-a-secret` }));
  new RegistryDeployment(chart, 'Registry', { auth: HtpasswdAuth.fromUsers({ users }), storage: StorageBackend.persistentVolumeClaim() });
  return chart.toJson().map((o) => Yaml.stringify(o)).join('---\n');
}

function measure(name: string, fn: () => string): { name: string; medianMs: number; p90Ms: number; bytes: number } {
  let bytes = 0;
  for (let i = 0; i < WARMUP; i++) bytes = fn().length;
  const samples: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const start = performance.now();
    fn();
    samples.push(performance.now() - start);
  }
  samples.sort((a, b) => a - b);
  return { name, medianMs: samples[Math.floor(samples.length / 2)], p90Ms: samples[Math.floor(samples.length * 0.9)], bytes };
}

function main(): void {
  // Interleave to share the machine's state fairly between the two.
  const baseline = measure('hand-written cdk8s-plus (baseline)', handWritten);
  const library = measure('RegistryDeployment on a PVC', withLibrary);
  const htpasswd = measure('... plus HtpasswdAuth.fromUsers, 5 users', withHtpasswdUsers);
  const baseline2 = measure('hand-written cdk8s-plus (baseline, again)', handWritten);
  const base = (baseline.medianMs + baseline2.medianMs) / 2;
  const rows = [baseline, library, htpasswd, baseline2].map((r) => ({ ...r, ratio: r.medianMs / base }));
  console.log(`synthesis benchmark, ${ROUNDS} rounds each (median; ratio to the baseline's median)`);
  for (const r of rows) {
    console.log(`  ${r.name.padEnd(44)} median ${r.medianMs.toFixed(2).padStart(8)} ms  p90 ${r.p90Ms.toFixed(2).padStart(8)} ms  ratio ${r.ratio.toFixed(2)}  (${r.bytes} bytes of YAML)`);
  }
  const outDir = path.join(__dirname, 'results');
  fs.mkdirSync(outDir, { recursive: true });
  fs.writeFileSync(path.join(outDir, 'synth.json'), JSON.stringify({ rounds: ROUNDS, rows }, null, 2) + '\n');
}

main();
