/**
 * The benchmark's baselines must keep emitting the library's YAML byte for byte (bench/registries.ts), or
 * `npm run bench` refuses to report. Checked here too, so a change of the library's output that the baselines
 * do not follow fails the tests where it is made, not later in the benchmark.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Chart } from 'cdk8s';
import * as ts from 'typescript';
import { chartYaml, WRITERS } from '../bench/registries';
import { LIBRARY_PROGRAM, plusProgram } from '../bench/user-synth.bench';

function synth(variant: string): string {
  const chart = new Chart(new App({ outdir: '/dev/null' }), 'registry', { namespace: 'container-registry' });
  WRITERS[variant](chart, 'Registry', 'registry');
  return chartYaml(chart);
}

test('every benchmark baseline synthesizes the library\'s YAML byte for byte', () => {
  const library = synth('library');
  expect(library).toMatch(/kind: Deployment/);
  for (const variant of Object.keys(WRITERS).filter((v) => v !== 'library')) {
    expect({ variant, yaml: synth(variant) }).toEqual({ variant, yaml: library });
  }
});

/** Runs a program as `cdk8s synth` would (its `app.synth()` writing into a temp folder) and returns what it wrote. */
function runProgram(code: string): string {
  const source = code.replace(/from 'cdk8s-registry'/g, `from ${JSON.stringify(path.join(__dirname, '..', 'src'))}`);
  const js = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 } }).outputText;
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'user-synth-'));
  const previous = process.env.CDK8S_OUTDIR;
  process.env.CDK8S_OUTDIR = outdir;
  try {
    // eslint-disable-next-line @typescript-eslint/no-implied-eval
    new Function('require', 'module', 'exports', js)(require, { exports: {} }, {});
    return fs.readFileSync(path.join(outdir, 'registry.k8s.yaml'), 'utf-8');
  } finally {
    if (previous === undefined) delete process.env.CDK8S_OUTDIR;
    else process.env.CDK8S_OUTDIR = previous;
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

test("the whole-process benchmark's two programs (the library, cdk8s-plus-27 alone, cut from bench/registries.ts) write the same bytes", () => {
  const plus = plusProgram();
  expect(plus).not.toMatch(/from '(cdk8s-registry|crypto)'/); // the baseline loads nothing of the library, nor Node's types
  // nor names any of it: the program is type-checked in the benchmark, where a name without its import fails
  expect(plus).not.toMatch(/\b(RegistryDeployment|RegistryAuth|StorageBackend|RedisBlobDescriptorCache|GarbageCollection|withLibrary)\b/);
  const library = runProgram(LIBRARY_PROGRAM);
  expect(library).toMatch(/kind: Deployment/);
  expect(runProgram(plus)).toEqual(library);
});
