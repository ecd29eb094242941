/**
 * `npm run bench`: every benchmark, in one run, printed and written to bench/results/bench.txt.
 * Ratios against baselines measured in the same run; figures, never pass/fail thresholds.
 *
 * Sizes and rounds come from the environment (see each file); CI runs a lighter set than docs/benchmarks.md
 * quotes (.ci/run). The bcrypt benchmark runs the real registry and needs root, as the e2e suite does.
 */
import * as fs from 'fs';
import * as path from 'path';
import { bcryptBenchmark } from './bcrypt.bench';
import { scaleBenchmark } from './scale.bench';
import { synthBenchmark } from './synth.bench';
import { userSynthBenchmark } from './user-synth.bench';

async function main(): Promise<void> {
  const env = Object.keys(process.env).filter((k) => k.startsWith('BENCH_')).sort().map((k) => `${k}=${process.env[k]}`);
  const all: string[] = [`npm run bench${env.length ? ` with ${env.join(' ')}` : ''}`, ''];
  const section = (lines: string[]) => {
    console.log(lines.join('\n') + '\n');
    all.push(...lines, '');
  };
  section(synthBenchmark());
  section(scaleBenchmark());
  section(userSynthBenchmark());
  section(await bcryptBenchmark());
  const out = path.join(__dirname, '..', '..', 'bench.txt');
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, all.join('\n'));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
