/**
 * Synthesis at scale: 1, 10, 100 and 1,000 registries, in one Chart, in a Chart each (one per team), in an
 * App each (the workaround for cdk8s's per-chart cost, see docs/benchmarks.md), and in a Chart each with cdk8s
 * patched as proposed upstream (evidence for the fix), written with the library and as
 * plain cdk8s `ApiObject`s. Every measurement is a fresh process (bench/scale-child.ts) timing construct +
 * `app.synth()`, with its peak RSS; the variants of one cell must write the same files byte for byte, and an App
 * each must write the same files as a Chart each. Measurements are interleaved: each repetition walks every
 * size and layout, and the variants take turns going first.
 *
 *   BENCH_SCALE_SIZES=1,10,100,1000 BENCH_SCALE_REPEATS=3 node bench/results/js/bench/scale.bench.js
 *   BENCH_SCALE_VARIANTS='library,raw ApiObjects,cdk8s-plus-27' adds cdk8s-plus.
 *
 * Targets (issue 12), as ratios within this run: an App each and a Chart each at 1,000 at most 11x the time of
 * 100; the library at most 1.5x raw ApiObjects at every size. Printed as met or not, never asserted.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { LAYOUTS } from './scale-child';
import { machine, median, ratioSummary, rotated } from './stats';

const SIZES = (process.env.BENCH_SCALE_SIZES ?? '1,10,100,1000').split(',').map(Number);
const REPEATS = Number(process.env.BENCH_SCALE_REPEATS ?? 3);
const VARIANTS = (process.env.BENCH_SCALE_VARIANTS ?? 'library,raw ApiObjects').split(',');
const LAYOUT_NAMES: string[] = Object.values(LAYOUTS);

interface Measurement {
  readonly cpuMs: number;
  readonly processCpuMs: number;
  readonly wallMs: number;
  readonly peakRssMiB: number;
  readonly files: number;
  readonly bytes: number;
  readonly digest: string;
}

function measureOnce(variant: string, layout: string, n: number): Measurement {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk8s-registry-bench-'));
  try {
    const out = execFileSync(process.execPath, [path.join(__dirname, 'scale-child.js'), variant, layout, String(n), outdir], {
      encoding: 'utf-8', maxBuffer: 1024 * 1024,
    });
    return JSON.parse(out.trim().split('\n').pop()!);
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

const key = (variant: string, layout: string, n: number) => `${variant}|${layout}|${n}`;

/** Runs the benchmark and returns the lines it printed. */
export function scaleBenchmark(log: (line: string) => void = () => undefined): string[] {
  const results = new Map<string, Measurement[]>();
  let turn = 0;
  for (let rep = 0; rep < REPEATS; rep++) {
    for (const n of SIZES) {
      for (const layout of LAYOUT_NAMES) {
        for (const variant of rotated(VARIANTS, turn++)) {
          const m = measureOnce(variant, layout, n);
          const k = key(variant, layout, n);
          results.set(k, [...(results.get(k) ?? []), m]);
          log(`  ... ${k}: ${m.cpuMs.toFixed(0)} ms CPU`);
        }
      }
    }
  }

  // Equal work: within a cell every variant wrote the same files; an App each wrote what a Chart each wrote.
  for (const n of SIZES) {
    for (const layout of LAYOUT_NAMES) {
      const digests = new Set(VARIANTS.flatMap((v) => results.get(key(v, layout, n))!.map((m) => m.digest)));
      if (digests.size !== 1) {
        throw new Error(`${n} registries, ${layout}: the variants did not write the same files (${[...digests].join(', ')}). No ratio is reported for unequal work.`);
      }
    }
    const chartEach = results.get(key(VARIANTS[0], LAYOUTS.CHART_EACH, n))![0].digest;
    for (const layout of [LAYOUTS.APP_EACH, LAYOUTS.CHART_EACH_PATCHED]) {
      if (results.get(key(VARIANTS[0], layout, n))![0].digest !== chartEach) {
        throw new Error(`${n} registries: ${layout} did not write the same files as ${LAYOUTS.CHART_EACH}`);
      }
    }
  }

  const [library, baseline] = VARIANTS;
  const cpu = (v: string, layout: string, n: number) => results.get(key(v, layout, n))!.map((m) => m.cpuMs);
  const processCpu = (v: string, layout: string, n: number) => results.get(key(v, layout, n))!.map((m) => m.processCpuMs);
  const lines = [
    'synthesis at scale, fresh process each, CPU time of construct + app.synth() (module loading excluded), ' +
    `median of ${REPEATS} interleaved runs; the variants of each row write the same files (checked)`,
    `  ${'registries'.padStart(10)}  ${'layout'.padEnd(28)}` +
    VARIANTS.map((v) => `${v.padStart(16)} ms  peak MiB`).join('') + `  library / ${baseline}: synth (median, min, max); whole process`,
  ];
  for (const n of SIZES) {
    for (const layout of LAYOUT_NAMES) {
      const cells = VARIANTS.map((v) => {
        const ms = results.get(key(v, layout, n))!;
        return `${median(ms.map((m) => m.cpuMs)).toFixed(0).padStart(19)}  ${median(ms.map((m) => m.peakRssMiB)).toFixed(0).padStart(8)}`;
      }).join('');
      const ratios = cpu(library, layout, n).map((t, i) => t / cpu(baseline, layout, n)[i]);
      const processRatio = median(processCpu(library, layout, n).map((t, i) => t / processCpu(baseline, layout, n)[i]));
      lines.push(`  ${String(n).padStart(10)}  ${layout.padEnd(28)}${cells}  ${ratioSummary(ratios)}; ${processRatio.toFixed(2)}x`);
    }
  }

  const targets: string[] = [];
  const worst = Math.max(...SIZES.flatMap((n) => LAYOUT_NAMES.map((l) => median(cpu(library, l, n).map((t, i) => t / cpu(baseline, l, n)[i])))));
  targets.push(`  library at most 1.5x ${baseline} at every size and layout: worst median ${worst.toFixed(2)}x: ${worst <= 1.5 ? 'met' : 'NOT met'}`);
  const big = Math.max(...SIZES);
  const tenth = big / 10;
  if (SIZES.includes(tenth) && tenth >= 10) {
    for (const v of VARIANTS) {
      for (const layout of LAYOUT_NAMES) {
        const growth = cpu(v, layout, big).map((t, i) => t / cpu(v, layout, tenth)[i]);
        const m = median(growth);
        targets.push(`  ${v}, ${layout}: t(${big}) / t(${tenth}) = ${ratioSummary(growth)}` +
          (v === library && layout !== LAYOUTS.ONE_CHART ? `: at most 11x ${m <= 11 ? 'met' : 'NOT met'}` : ''));
      }
    }
  }
  lines.push('  targets:', ...targets, `  machine: ${machine()}`);
  return lines;
}

if (require.main === module) {
  console.log(scaleBenchmark((line) => process.stderr.write(line + '\n')).join('\n'));
}
