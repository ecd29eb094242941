/**
 * Synthesis as a user runs it: whole processes, Node's start, TypeScript and module loading included, in a folder
 * laid out as the README's install makes it (the packed library in node_modules/cdk8s-registry, the peers, TypeScript
 * and ts-node beside it; linked from this repository's node_modules, so no network), with the README's tsconfig.json.
 *
 * - The README's quick start (its own code block) on each path the README documents: the fast path
 *   (`node -r ts-node/register/transpile-only main.ts`, the `app` of cdk8s.yaml, and `npx ts-node --transpile-only
 *   main.ts`), through the cdk8s CLI with that app, and the type-checked `npx ts-node main.ts`; plus `npx tsc
 *   --noEmit`, the type check the README keeps for CI.
 * - The library against the same YAML written with cdk8s-plus-27 alone (bench/registries.ts's `cdk8sPlus`, as a
 *   program of its own), on the fast and the type-checked path. Both must write the same bytes, or no ratio is given.
 *
 * Wall time of each process (what the user waits for) and its CPU time (user + system of the process and its
 * children, which depends less on a busy machine's neighbours). Interleaved rounds, each starting with the next
 * variant; ratios are taken within a round. Figures, not pass/fail: the goal (quick start under 2 s on the documented
 * path, library at most 1.10x plain cdk8s-plus-27) is printed beside them.
 *
 *   BENCH_USER_ROUNDS=10 node bench/results/js/bench/user-synth.bench.js   (npm run bench runs it with the others)
 */
import { execFileSync, spawnSync } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { machine, median, ratioSummary, requireSameOutput, rotated } from './stats';

const ROUNDS = Number(process.env.BENCH_USER_ROUNDS ?? 10);
/** The repository: bench/ when run by ts-jest, bench/results/js/bench/ once compiled by `npm run bench`. */
const ROOT = [path.join(__dirname, '..'), path.join(__dirname, '..', '..', '..', '..')]
  .find((dir) => fs.existsSync(path.join(dir, '.projenrc.ts')))!;
const GOAL_SECONDS = 2;
const GOAL_RATIO = 1.1;

/** A program folder and the command a user runs in it. */
interface Variant {
  readonly name: string;
  readonly dir: string;
  readonly command: string;
  /** The YAML file it writes, compared across variants that must write the same bytes. */
  readonly output?: string;
}

function readme(): string {
  return fs.readFileSync(path.join(ROOT, 'README.md'), 'utf-8');
}

function block(text: string, heading: string, lang: string): string {
  const start = text.search(new RegExp(`^## ${heading}`, 'm'));
  if (start < 0) throw new Error(`README has no "## ${heading}" section`);
  const rest = text.slice(start + 3);
  const end = rest.search(/^## /m);
  const section = end < 0 ? rest : rest.slice(0, end);
  const m = section.match(new RegExp('^```' + lang + '\\n([\\s\\S]*?)^```$', 'm'));
  if (!m) throw new Error(`README: no \`\`\`${lang} block in "## ${heading}"`);
  return m[1];
}

/** The cdk8s-plus-27 baseline of bench/registries.ts as a program of its own, importing nothing of the library. */
export function plusProgram(): string {
  const source = fs.readFileSync(path.join(ROOT, 'bench', 'registries.ts'), 'utf-8');
  const cut = (from: string, to: string) => {
    const a = source.indexOf(from);
    const b = source.indexOf(to, a);
    if (a < 0 || b < 0) throw new Error(`bench/registries.ts: cannot find '${from}' .. '${to}'`);
    return source.slice(a, b);
  };
  // The checksum of the config text, computed here: the program then needs no @types/node, which the README's
  // install does not bring (a type check of it would otherwise load Node's declarations too).
  const configYml = new Function(`${cut('const CONFIG_YML', 'function labelsOf')}; return CONFIG_YML;`)() as string;
  const checksum = createHash('sha256').update(configYml).digest('hex');
  const writer = cut('/** cdk8s-plus-27 constructs', '/** The three writers');
  const hashed = "createHash('sha256').update(CONFIG_YML).digest('hex')";
  if (!writer.includes(hashed)) throw new Error(`bench/registries.ts: cdk8sPlus no longer computes ${hashed}`);
  return [
    "import { ApiObject, App, Chart, Duration, JsonPatch, Size } from 'cdk8s';",
    "import * as kplus from 'cdk8s-plus-27';",
    "import { Construct } from 'constructs';",
    '',
    'type RegistryWriter = (scope: Construct, id: string, name: string) => void;',
    cut('const VERSION', '/**\n * Plain cdk8s'),
    writer.replace(hashed, `'${checksum}'`),
    'const app = new App();',
    "const chart = new Chart(app, 'registry', { namespace: 'container-registry' });",
    "cdk8sPlus(chart, 'Registry', 'registry');",
    'app.synth();',
    '',
  ].join('\n');
}

/** The library's side of the same YAML: bench/registries.ts's `withLibrary`, as a user writes it. */
export const LIBRARY_PROGRAM = `import { App, Chart } from 'cdk8s';
import { RegistryAuth, RegistryDeployment, StorageBackend } from 'cdk8s-registry';

const app = new App();
const chart = new Chart(app, 'registry', { namespace: 'container-registry' });
new RegistryDeployment(chart, 'Registry', { name: 'registry', auth: RegistryAuth.none(), storage: StorageBackend.persistentVolumeClaim() });
app.synth();
`;

/** A folder as the README's install leaves it, with three programs: the quick start, the library, the baseline. */
function prepare(): { work: string; variants: Variant[] } {
  if (!fs.existsSync(path.join(ROOT, 'lib', 'index.js'))) throw new Error('lib/ is missing: run `npx projen compile` first');
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk8s-registry-user-synth-'));
  const modules = path.join(work, 'node_modules');
  fs.mkdirSync(path.join(modules, '.bin'), { recursive: true });
  const tarball = execFileSync('npm', ['pack', '--silent', '--ignore-scripts', '--pack-destination', work], { cwd: ROOT, encoding: 'utf-8' }).trim().split('\n').pop()!;
  execFileSync('tar', ['xzf', path.join(work, tarball), '-C', modules]);
  fs.renameSync(path.join(modules, 'package'), path.join(modules, 'cdk8s-registry'));
  for (const pkg of ['cdk8s', 'constructs', 'cdk8s-plus-27', 'typescript', 'ts-node', 'cdk8s-cli']) {
    fs.symlinkSync(path.join(ROOT, 'node_modules', pkg), path.join(modules, pkg));
  }
  for (const [bin, target] of [['ts-node', 'ts-node/dist/bin.js'], ['tsc', 'typescript/bin/tsc'], ['cdk8s', 'cdk8s-cli/bin/cdk8s']]) {
    fs.symlinkSync(path.join('..', target), path.join(modules, '.bin', bin));
  }
  fs.writeFileSync(path.join(work, 'package.json'), JSON.stringify({ name: 'user-synth', private: true }));
  const tsconfig = block(readme(), 'Install', 'json');
  const fastApp = block(readme(), 'Fast synth', 'yaml').match(/^app: (.+)$/m)![1];
  const programs: { [dir: string]: string } = {
    'quick-start': block(readme(), 'Quick start', 'ts'),
    'library': LIBRARY_PROGRAM,
    'cdk8s-plus-27': plusProgram(),
  };
  for (const [dir, code] of Object.entries(programs)) {
    fs.mkdirSync(path.join(work, dir));
    fs.writeFileSync(path.join(work, dir, 'main.ts'), code);
    fs.writeFileSync(path.join(work, dir, 'tsconfig.json'), tsconfig);
    fs.writeFileSync(path.join(work, dir, 'cdk8s.yaml'), `language: typescript\napp: ${fastApp}\noutput: dist\n`);
  }
  const qs = path.join(work, 'quick-start');
  const variants: Variant[] = [
    { name: `quick start, fast: ${fastApp}`, dir: qs, command: fastApp },
    { name: 'quick start, fast: npx ts-node --transpile-only main.ts', dir: qs, command: 'npx ts-node --transpile-only main.ts' },
    { name: 'quick start, fast, cdk8s CLI: npx cdk8s synth', dir: qs, command: 'npx cdk8s synth --check-upgrade=false' },
    { name: 'quick start, type-checked: npx ts-node main.ts', dir: qs, command: 'npx ts-node main.ts' },
    { name: 'quick start, the CI check: npx tsc --noEmit', dir: qs, command: 'npx tsc --noEmit' },
  ];
  for (const [mode, command] of [['fast', fastApp], ['type-checked', 'npx ts-node main.ts']]) {
    for (const program of ['library', 'cdk8s-plus-27']) {
      variants.push({ name: `${program}, ${mode}`, dir: path.join(work, program), command, output: 'dist/registry.k8s.yaml' });
    }
  }
  return { work, variants };
}

/** Runs one whole process: its wall time and the CPU time of it and its children, in ms. */
function run(variant: Variant): { wall: number; cpu: number } {
  const outdir = path.join(variant.dir, 'dist');
  fs.rmSync(outdir, { recursive: true, force: true });
  const start = process.hrtime.bigint();
  // bash's `times` prints the CPU time of its children (the command and everything it started) on its 2nd line.
  const result = spawnSync('bash', ['-c', `${variant.command} >"$ERR" 2>&1 || { cat "$ERR" >&2; exit 1; }; times`], {
    cwd: variant.dir, encoding: 'utf-8', env: { ...process.env, ERR: path.join(variant.dir, 'output.txt'), CDK8S_OUTDIR: outdir },
  });
  const wall = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0) throw new Error(`${variant.name} failed in ${variant.dir}: ${result.stderr}`);
  const seconds = (s: string) => { const m = /(\d+)m([\d.]+)s/.exec(s)!; return Number(m[1]) * 60 + Number(m[2]); };
  const [user, sys] = result.stdout.trim().split('\n')[1].split(/\s+/);
  return { wall, cpu: (seconds(user) + seconds(sys)) * 1000 };
}

/** Runs the benchmark and returns the lines it printed. */
export function userSynthBenchmark(): string[] {
  const { work, variants } = prepare();
  try {
    // Equal work first: the library and the baseline write the same bytes, on either path.
    const outputs: { [name: string]: string } = {};
    for (const v of variants) {
      run(v); // also a warm-up of the disk cache
      if (v.output) outputs[v.name] = fs.readFileSync(path.join(v.dir, v.output), 'utf-8');
    }
    requireSameOutput(outputs);
    const bytes = Object.values(outputs)[0].length;

    const times: { [name: string]: { wall: number[]; cpu: number[] } } = {};
    for (const v of variants) times[v.name] = { wall: [], cpu: [] };
    for (let round = 0; round < ROUNDS; round++) {
      for (const v of rotated(variants, round)) {
        const t = run(v);
        times[v.name].wall.push(t.wall);
        times[v.name].cpu.push(t.cpu);
      }
    }

    const lines = [
      `synthesis as a user runs it: whole processes (Node, TypeScript and module loading included), median of ${ROUNDS} interleaved rounds; ` +
      `the library and plain cdk8s-plus-27 write the same ${bytes} bytes of YAML (checked)`,
    ];
    const width = Math.max(...variants.map((v) => v.name.length));
    for (const v of variants) {
      lines.push(`  ${v.name.padEnd(width)}  wall ${(median(times[v.name].wall) / 1000).toFixed(2)} s  CPU ${(median(times[v.name].cpu) / 1000).toFixed(2)} s`);
    }
    const ratios = (a: string, b: string, what: 'wall' | 'cpu') => times[a][what].map((x, i) => x / times[b][what][i]);
    for (const mode of ['fast', 'type-checked']) {
      for (const what of ['wall', 'cpu'] as const) {
        const r = ratios(`library, ${mode}`, `cdk8s-plus-27, ${mode}`, what);
        lines.push(`  library / cdk8s-plus-27, ${mode}, ${what === 'cpu' ? 'CPU' : 'wall'}: ${ratioSummary(r)}: at most ${GOAL_RATIO.toFixed(2)}x ${median(r) <= GOAL_RATIO ? 'met' : 'NOT met'}`);
      }
    }
    const fast = variants[0].name;
    const typed = variants.find((v) => v.name.startsWith('quick start, type-checked'))!.name;
    lines.push(`  quick start, type-checked / fast (${variants[0].command}), wall: ${ratioSummary(ratios(typed, fast, 'wall'))}`);
    const fastWall = median(times[fast].wall) / 1000;
    lines.push(`  quick start on the documented fast path: ${fastWall.toFixed(2)} s wall, goal under ${GOAL_SECONDS} s on a quiet machine: ${fastWall < GOAL_SECONDS ? 'met' : 'NOT met'} here`);
    lines.push(`  machine: ${machine()}`);
    return lines;
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

if (require.main === module) {
  console.log(userSynthBenchmark().join('\n'));
}
