/**
 * What htpasswd authentication costs the registry: registry CPU per authenticated `GET /v2/`, at bcrypt cost 5
 * (the library's default) and 10. The registry checks the bcrypt hash on every request, without a cache.
 *
 * Runs the real registry the way the e2e suite runs a pod (test/e2e/harness: the synthesized Deployment's
 * command, env, mounts and user, on loopback), on every release line the suite runs (2.8.2, 3.0.0, 3.1.1), one
 * registry per version and cost, all started before measuring. Each round sends REQUESTS sequential requests on a
 * kept-alive connection to each registry in turn (each round starts with the next registry),
 * and reads the registry process's CPU time (user + system, all threads) from /proc before and after. Also
 * measured, on the same registries: unauthenticated `GET /v2/` (answered 401 before any bcrypt), so the
 * difference is what the password check costs.
 *
 *   BENCH_BCRYPT_REQUESTS=100 BENCH_BCRYPT_ROUNDS=5 node bench/results/js/bench/bcrypt.bench.js   (needs root, as the e2e suite)
 */
import * as fs from 'fs';
import * as http from 'http';
import { Chart, Testing } from 'cdk8s';
import { HtpasswdAuth, RegistryDeployment } from '../src';
import { machine, median, rotated } from './stats';
import { cleanupAll, E2E_VERSIONS, E2eVersion, RegistryPod, requireEnvironment } from '../test/e2e/harness';

const REQUESTS = Number(process.env.BENCH_BCRYPT_REQUESTS ?? 100);
const ROUNDS = Number(process.env.BENCH_BCRYPT_ROUNDS ?? 5);
const COSTS = [5, 10];
const USER = 'bench-robot';
const PASSWORD = 'bench-only-password-8d1f2c7a5e9b';
const CLOCK_TICKS_PER_SECOND = 100;

/** CPU time (user + system, all threads) of a process, in ms, from /proc/PID/stat. */
function processCpuMs(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf-8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state); utime and stime are fields 14 and 15.
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND;
}

function get(agent: http.Agent, url: string, auth?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const headers = auth ? { Authorization: `Basic ${Buffer.from(auth).toString('base64')}` } : undefined;
    http.get(url, { agent, headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    }).on('error', reject);
  });
}

interface Registry {
  readonly version: E2eVersion;
  readonly cost: number;
  readonly pod: RegistryPod;
  readonly agent: http.Agent;
  readonly authenticated: number[];
  readonly anonymous: number[];
}

async function startRegistry(version: E2eVersion, cost: number): Promise<Registry> {
  const chart = new Chart(Testing.app(), `bcrypt-${cost}`, { namespace: 'registry' });
  new RegistryDeployment(chart, 'Registry', {
    name: 'registry',
    version: version.version,
    auth: HtpasswdAuth.fromUsers({ users: [{ username: USER, password: PASSWORD }], cost }),
  });
  const pod = new RegistryPod(Testing.synth(chart));
  await pod.start();
  const comm = fs.readFileSync(`/proc/${pod.pid}/comm`, 'utf-8').trim();
  if (!/registry/.test(comm)) throw new Error(`process ${pod.pid} is '${comm}', not the registry: its CPU time would not be the registry's`);
  return { version, cost, pod, agent: new http.Agent({ keepAlive: true, maxSockets: 1 }), authenticated: [], anonymous: [] };
}

/** Registry CPU per request, in ms, over REQUESTS sequential requests. */
async function cpuPerRequest(registry: Registry, auth?: string): Promise<number> {
  const url = `${registry.pod.url}/v2/`;
  const expected = auth ? 200 : 401;
  const before = processCpuMs(registry.pod.pid!);
  for (let i = 0; i < REQUESTS; i++) {
    const status = await get(registry.agent, url, auth);
    if (status !== expected) throw new Error(`GET /v2/ on ${registry.version.runs} at cost ${registry.cost} answered ${status}, expected ${expected}`);
  }
  return (processCpuMs(registry.pod.pid!) - before) / REQUESTS;
}

/** Runs the benchmark and returns the lines it printed. */
export async function bcryptBenchmark(): Promise<string[]> {
  requireEnvironment();
  try {
    const registries = [];
    for (const version of E2E_VERSIONS) {
      for (const cost of COSTS) registries.push(await startRegistry(version, cost));
    }
    const credentials = `${USER}:${PASSWORD}`;
    for (const r of registries) {
      // Warm-up: the first requests set up connections and the registry's caches.
      for (let i = 0; i < 10; i++) await get(r.agent, `${r.pod.url}/v2/`, credentials);
    }
    for (let round = 0; round < ROUNDS; round++) {
      for (const r of rotated(registries, round)) {
        r.authenticated.push(await cpuPerRequest(r, credentials));
        r.anonymous.push(await cpuPerRequest(r));
      }
    }
    const lines = [
      'htpasswd on the real registry (run as the e2e harness runs the pod): ' +
      `registry CPU per GET /v2/, median of ${ROUNDS} rounds of ${REQUESTS} sequential requests on a kept-alive connection`,
    ];
    for (const r of registries) {
      const auth = median(r.authenticated);
      const anon = median(r.anonymous);
      lines.push(`  registry ${r.version.runs}, bcrypt cost ${String(r.cost).padStart(2)}: ${auth.toFixed(1).padStart(5)} ms authenticated ` +
        `(rounds ${Math.min(...r.authenticated).toFixed(1)}..${Math.max(...r.authenticated).toFixed(1)}), ` +
        `${anon.toFixed(1)} ms unauthenticated (401), so ${(auth - anon).toFixed(1)} ms for the password check; ` +
        `at most ${Math.floor(1000 / auth)} authenticated requests a second per CPU`);
    }
    lines.push(`  machine: ${machine()}`);
    return lines;
  } finally {
    await cleanupAll();
  }
}

if (require.main === module) {
  bcryptBenchmark().then((lines) => console.log(lines.join('\n')), (e) => {
    console.error(e);
    process.exit(1);
  });
}
