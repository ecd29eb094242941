/**
 * Synthesis of one registry: the library against the same objects written as plain cdk8s `ApiObject`s and as
 * cdk8s-plus-27 constructs (bench/registries.ts). All three must emit the same YAML byte for byte, or no ratio is
 * reported. After a warm-up the variants run interleaved, one synth each per round, each round starting with the
 * next variant; the ratio is taken within each round, and its median, min and max over the rounds are printed.
 *
 *   BENCH_SYNTH_ROUNDS=200 node bench/results/js/bench/synth.bench.js   (npm run bench runs it with the others)
 */
import { App, Chart } from 'cdk8s';
import { chartYaml, WRITERS } from './registries';
import { machine, median, ratioSummary, requireSameOutput, rotated } from './stats';

const ROUNDS = Number(process.env.BENCH_SYNTH_ROUNDS ?? 40);
const WARMUP_ROUNDS = Number(process.env.BENCH_SYNTH_WARMUP ?? 10);
/** Synths per variant and round, timed together. */
const BATCH = 10;

/**
 * CPU time of this process (user + system) in ms. On a machine shared with other jobs wall time mostly measures
 * the wait for a CPU; the CPU a synth spends does not depend on the neighbours as much.
 */
export function cpuMs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

/** One synth of one registry in a fresh App, as `cdk8s synth` writes it. */
function synthOnce(variant: string): string {
  const app = new App({ outdir: '/dev/null' });
  const chart = new Chart(app, 'registry', { namespace: 'container-registry' });
  WRITERS[variant](chart, 'Registry', 'registry');
  return chartYaml(chart);
}

/** Runs the benchmark and returns the lines it printed. */
export function synthBenchmark(): string[] {
  const variants = Object.keys(WRITERS);
  const outputs: { [variant: string]: string } = {};
  for (const v of variants) outputs[v] = synthOnce(v);
  requireSameOutput(outputs);

  for (let round = 0; round < WARMUP_ROUNDS; round++) {
    for (const v of rotated(variants, round)) synthOnce(v);
  }
  const times: { [variant: string]: number[] } = Object.fromEntries(variants.map((v) => [v, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const v of rotated(variants, round)) {
      const start = cpuMs();
      for (let i = 0; i < BATCH; i++) synthOnce(v);
      times[v].push((cpuMs() - start) / BATCH);
    }
  }

  const [library, ...baselines] = variants;
  const lines = [
    `synthesis of one registry, in process, CPU time: ${ROUNDS} interleaved rounds of ${BATCH} synths per variant after ${WARMUP_ROUNDS} warm-up rounds; ` +
    `each variant emits the same ${Buffer.byteLength(outputs[library])} bytes of YAML (checked)`,
    ...variants.map((v) => `  ${v.padEnd(16)} median ${median(times[v]).toFixed(2).padStart(7)} ms CPU per synth`),
    ...baselines.map((b) => `  library / ${b.padEnd(16)} ${ratioSummary(times[library].map((t, i) => t / times[b][i]))}`),
    `  machine: ${machine()}`,
  ];
  return lines;
}

if (require.main === module) {
  console.log(synthBenchmark().join('\n'));
}
