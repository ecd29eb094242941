/**
 * One measurement of bench/scale.bench.ts, in a fresh process: writes N registries with one variant in one
 * layout, runs `app.synth()` into OUTDIR, and prints one JSON line: CPU and wall time of construct + synth
 * (module loading excluded), the CPU time of the whole process so far (Node's start and module loading included), the process's peak RSS, and a digest of every file written (to compare variants).
 *
 *   node bench/results/js/bench/scale-child.js VARIANT LAYOUT N OUTDIR
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { ApiObject, App, Chart } from 'cdk8s';
// eslint-disable-next-line import/no-extraneous-dependencies
import { DependencyGraph } from 'cdk8s/lib/dependency';
import { SCALE_WRITERS } from './registries';

/** How the registries are spread over charts and apps. */
export const LAYOUTS = {
  /** One App, one Chart holding every registry. */
  ONE_CHART: 'one Chart',
  /** One App, a Chart for each registry (one per team): the layout cdk8s makes quadratic. */
  CHART_EACH: 'a Chart each',
  /** A Chart for each registry, each in an App of its own writing to the same folder: the workaround. */
  APP_EACH: 'an App each',
  /** A Chart each in one App, with cdk8s patched as proposed upstream (docs/benchmarks.md): evidence for the fix. */
  CHART_EACH_PATCHED: 'a Chart each, cdk8s patched',
} as const;

/**
 * The change proposed to cdk8s, applied here from outside: `App.synth()` validates the app and resolves its
 * dependencies once, then asks each chart for its objects with `chart.toJson()`, which (through
 * `App._synthChart`) validates and resolves the whole app again, once per chart. While `App.synth()` runs, the
 * app is prepared already, so the patch skips that repetition and keeps the rest of `_synthChart` (objects of the
 * chart in dependency order). The benchmark checks that the files written are the same as without the patch.
 */
function prepareAppOncePerSynth(): void {
  const app = App as any;
  const synthChart = app._synthChart;
  const synth = App.prototype.synth;
  let synthesizing: App | undefined;
  App.prototype.synth = function (this: App) {
    synthesizing = this;
    try {
      return synth.call(this);
    } finally {
      synthesizing = undefined;
    }
  };
  app._synthChart = function (chart: Chart) {
    if (synthesizing === undefined || App.of(chart) !== synthesizing) return synthChart.call(this, chart);
    return new DependencyGraph(chart.node).topology()
      .filter((x): x is ApiObject => x instanceof ApiObject && Chart.of(x) === chart)
      .map((o) => o.toJson());
  };
}

function build(variant: string, layout: string, n: number, outdir: string): void {
  const write = SCALE_WRITERS[variant];
  if (!write) throw new Error(`unknown variant '${variant}': ${Object.keys(SCALE_WRITERS).join(', ')}`);
  if (layout === LAYOUTS.ONE_CHART) {
    const app = new App({ outdir });
    const chart = new Chart(app, 'registries', { namespace: 'registries' });
    for (let i = 0; i < n; i++) write(chart, `Registry${i}`, `registry-${i}`);
    app.synth();
  } else if (layout === LAYOUTS.CHART_EACH || layout === LAYOUTS.CHART_EACH_PATCHED) {
    if (layout === LAYOUTS.CHART_EACH_PATCHED) prepareAppOncePerSynth();
    const app = new App({ outdir });
    for (let i = 0; i < n; i++) write(new Chart(app, `team-${i}`, { namespace: `team-${i}` }), 'Registry', `registry-${i}`);
    app.synth();
  } else if (layout === LAYOUTS.APP_EACH) {
    for (let i = 0; i < n; i++) {
      const app = new App({ outdir });
      write(new Chart(app, `team-${i}`, { namespace: `team-${i}` }), 'Registry', `registry-${i}`);
      app.synth();
    }
  } else {
    throw new Error(`unknown layout '${layout}': ${Object.values(LAYOUTS).join(', ')}`);
  }
}

function digestOf(dir: string): string {
  const hash = createHash('sha256');
  for (const file of fs.readdirSync(dir).sort()) {
    hash.update(`${file}\n`).update(fs.readFileSync(path.join(dir, file))).update('\n');
  }
  return hash.digest('hex');
}

if (require.main === module) {
  const [variant, layout, count, outdir] = process.argv.slice(2);
  const n = Number(count);
  const cpu0 = process.cpuUsage();
  const wall0 = process.hrtime.bigint();
  build(variant, layout, n, outdir);
  const wallMs = Number(process.hrtime.bigint() - wall0) / 1e6;
  const cpu = process.cpuUsage(cpu0);
  const total = process.cpuUsage();
  const result = {
    cpuMs: (cpu.user + cpu.system) / 1000,
    processCpuMs: (total.user + total.system) / 1000,
    wallMs,
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
    files: fs.readdirSync(outdir).length,
    bytes: fs.readdirSync(outdir).reduce((sum, f) => sum + fs.statSync(path.join(outdir, f)).size, 0),
    digest: digestOf(outdir),
  };
  process.stdout.write(JSON.stringify(result) + '\n');
}
