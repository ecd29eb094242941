/**
 * The TypeScript examples of the README and of every guide in docs/ are compiled and run, so they cannot drift from
 * the library.
 * Every ```ts block is either a whole program importing from 'cdk8s-registry', or a fragment written as if
 * inside a Chart's constructor (with `this`, an `auth` method and a `keys`/`secret` Secret in scope). Each is
 * type-checked and executed with `app.synth()` redirected to a temp folder; what it writes must pass the
 * manifest validation.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Yaml } from 'cdk8s';
import * as ts from 'typescript';
import * as YAML from 'yaml';
import { manifestErrors } from './util/validate-manifests';

const ROOT = path.join(__dirname, '..');
const SRC = path.join(ROOT, 'src', 'index.ts');

/** The README and the guides in docs/: their examples are held to the same standard. */
const DOCUMENTS = ['README.md', ...fs.readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`)];

function snippets(): { file: string; line: number; code: string; fragment: boolean }[] {
  const result: { file: string; line: number; code: string; fragment: boolean }[] = [];
  for (const file of DOCUMENTS) {
    const text = fs.readFileSync(path.join(ROOT, file), 'utf-8');
    const fence = /^```(?:ts|typescript)([^\n]*)\n([\s\S]*?)^```$/gm;
    for (const match of text.matchAll(fence)) {
      result.push({ file, line: text.substring(0, match.index).split('\n').length, code: match[2], fragment: match[1].trim() === 'fixture=fragment' });
    }
  }
  return result;
}

const blocks = snippets();

test('the README has TypeScript examples', () => {
  expect(blocks.length).toBeGreaterThan(0);
});

test('fragments are fenced as ```ts fixture=fragment, whole programs as ```ts (what jsii-rosetta needs to translate them)', () => {
  // A fragment has no imports: rosetta completes it with rosetta/fragment.ts-fixture (npx projen rosetta).
  const wrong = blocks.filter((b) => b.fragment === /^import /m.test(b.code))
    .map((b) => `${b.file}:${b.line}: ${b.fragment ? 'a whole program must be fenced ```ts' : 'a fragment must be fenced ```ts fixture=fragment'}`);
  expect(wrong).toEqual([]);
});

/** Wraps a fragment into a program: the library's exports, a Chart, and the names fragments lean on. */
function asProgram(code: string): string {
  if (/^import /m.test(code)) return code;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const names = Object.keys(require('../src')).sort();
  return [
    "import { App, Chart, Cron, Duration, JsonPatch, Size } from 'cdk8s';",
    "import * as kplus from 'cdk8s-plus-27';",
    `import { ${names.join(', ')} } from 'cdk8s-registry';`,
    'const app = new App();',
    'class ReadmeExample extends Chart {',
    '  constructor() {',
    "    super(app, 'readme', { namespace: 'readme' });",
    '    const auth = RegistryAuth.none();',
    "    const keys = kplus.Secret.fromSecretName(this, 'ReadmeKeys', 'readme-keys');",
    '    const secret = keys;',
    '    void auth; void secret; void Cron; void Duration; void JsonPatch; void Size;',
    '    {',
    code,
    '    }',
    '  }',
    '}',
    'new ReadmeExample();',
    'app.synth();',
  ].join('\n');
}

/**
 * Type-checks one program. Every block shares one compiler host whose parsed files (the library's sources,
 * cdk8s, cdk8s-plus, @types/node, lib.d.ts) are kept between blocks, and each program reuses the previous one:
 * only the block itself is parsed anew, which makes a block about ten times faster than a fresh program.
 */
const config = ts.readConfigFile(path.join(ROOT, 'test', 'tsconfig.json'), ts.sys.readFile);
const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, path.join(ROOT, 'test'));
const options: ts.CompilerOptions = { ...parsed.options, noEmit: true, rootDir: undefined, noUnusedLocals: false };
// Inside the project, so that module resolution finds node_modules; the name only has to be unique per block.
const SNIPPET_DIR = path.join(ROOT, 'node_modules', '.cache', 'readme-snippets');
const host = ts.createCompilerHost(options, true);
const parsedFiles = new Map<string, ts.SourceFile>();
const snippetSources = new Map<string, string>();
const baseGetSourceFile = host.getSourceFile.bind(host);
host.getSourceFile = (fileName, languageVersion, onError, shouldCreate) => {
  const snippet = snippetSources.get(fileName);
  if (snippet !== undefined) return ts.createSourceFile(fileName, snippet, languageVersion, true);
  let file = parsedFiles.get(fileName);
  if (!file) {
    file = baseGetSourceFile(fileName, languageVersion, onError, shouldCreate);
    if (file) parsedFiles.set(fileName, file);
  }
  return file;
};
const baseFileExists = host.fileExists.bind(host);
host.fileExists = (fileName) => snippetSources.has(fileName) || baseFileExists(fileName);
const baseReadFile = host.readFile.bind(host);
host.readFile = (fileName) => snippetSources.get(fileName) ?? baseReadFile(fileName);
let previousProgram: ts.Program | undefined;
let snippetCount = 0;

function typeCheck(source: string): string[] {
  const file = path.join(SNIPPET_DIR, `snippet-${snippetCount++}.ts`);
  snippetSources.set(file, source);
  try {
    const program = ts.createProgram({ rootNames: [file], options, host, oldProgram: previousProgram });
    previousProgram = program;
    const diagnostics = ts.getPreEmitDiagnostics(program, program.getSourceFile(file));
    return diagnostics.map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
  } finally {
    snippetSources.delete(file);
  }
}

/**
 * Runs a program with `app.synth()` redirected to a temp folder and returns the objects it wrote. Examples read
 * passwords from the environment, as a CI job would; a canary password is set and must not be synthesized.
 */
function synthesize(source: string): any[] {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'readme-out-'));
  const compilerOptions = { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true };
  const js = ts.transpileModule(source, { compilerOptions }).outputText;
  const previous = process.env.CDK8S_OUTDIR;
  process.env.CDK8S_OUTDIR = outdir;
  const canary = 'readme-canary-password-7f3c9a';
  process.env.CI_ROBOT_PASSWORD = canary;
  try {
    // eslint-disable-next-line @typescript-eslint/no-implied-eval
    new Function('require', 'module', 'exports', 'process', js)(require, { exports: {} }, {}, process);
  } finally {
    if (previous === undefined) delete process.env.CDK8S_OUTDIR;
    else process.env.CDK8S_OUTDIR = previous;
    delete process.env.CI_ROBOT_PASSWORD;
  }
  const files = fs.readdirSync(outdir).filter((f) => f.endsWith('.yaml')).sort();
  expect(files.length).toBeGreaterThan(0); // a fragment that only builds a backend writes an empty chart
  const everything = files.map((f) => fs.readFileSync(path.join(outdir, f), 'utf-8')).join('\n');
  expect(everything).not.toContain(canary);
  expect(everything).not.toContain(Buffer.from(canary).toString('base64'));
  const objects = files.flatMap((f) => Yaml.load(path.join(outdir, f)));
  fs.rmSync(outdir, { recursive: true, force: true });
  return objects;
}

describe.each(blocks.map((b) => [b.file, b.line, b.code] as const))('%s example at line %d', (_file, _line, code) => {
  const source = asProgram(code).replace(/from 'cdk8s-registry'/g, `from ${JSON.stringify(SRC.replace(/\.ts$/, ''))}`);

  test('type-checks', () => {
    expect(typeCheck(source)).toEqual([]);
  });

  test('runs and synthesizes valid manifests', () => {
    expect(manifestErrors(synthesize(source))).toEqual([]);
  });
});

test('the shared type-check still reports errors in a block and in its use of the library', () => {
  expect(typeCheck("const n: number = 'text';\nvoid n;")).toEqual([expect.stringMatching(/not assignable to type 'number'/)]);
  const misuse = asProgram("new RegistryDeployment(this, 'R', { auth, replicas: 'two' });")
    .replace(/from 'cdk8s-registry'/g, `from ${JSON.stringify(SRC.replace(/\.ts$/, ''))}`);
  expect(typeCheck(misuse)).toEqual([expect.stringMatching(/replicas|not assignable/)]);
});

/**
 * Every field of `expected` is in `actual` with the same value; a `config.yml` string is compared as YAML. With
 * `byName`, a list whose items all have a `name` (containers, env) is compared by name: each item shown must be
 * there, in the order shown, and the actual list may hold more.
 */
function subsetErrors(expected: unknown, actual: unknown, where: string, byName = false): string[] {
  if (typeof expected === 'string' && typeof actual === 'string' && where.endsWith('config.yml')) {
    return subsetErrors(YAML.parse(expected), YAML.parse(actual), `${where}:`, byName);
  }
  if (expected !== null && typeof expected === 'object') {
    if (actual === null || typeof actual !== 'object' || Array.isArray(expected) !== Array.isArray(actual)) {
      return [`${where}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`];
    }
    if (byName && Array.isArray(expected) && expected.every((e) => typeof e?.name === 'string')) {
      const items = actual as { name?: unknown }[];
      let previous = -1;
      return expected.flatMap((e) => {
        const index = items.findIndex((a) => a?.name === e.name);
        if (index < 0) return [`${where}: no item named ${e.name} (there: ${items.map((a) => a?.name).join(', ')})`];
        const order = index < previous ? [`${where}: ${e.name} is shown after an item it comes before`] : [];
        previous = index;
        return [...order, ...subsetErrors(e, items[index], `${where}[${e.name}]`, byName)];
      });
    }
    return Object.entries(expected as object).flatMap(([key, value]) =>
      subsetErrors(value, (actual as Record<string, unknown>)[key], `${where}.${key}`, byName));
  }
  return expected === actual ? [] : [`${where}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`];
}

test("the quick start's YAML in the README is what the quick start synthesizes", () => {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf-8');
  const start = readme.search(/^## Quick start/m);
  const section = readme.slice(start, start + 3 + readme.slice(start + 3).search(/^## /m));
  const code = section.match(/^```ts\n([\s\S]*?)^```$/m)![1];
  const shown = YAML.parseAllDocuments(section.match(/^```yaml\n([\s\S]*?)^```$/m)![1]).map((d) => d.toJS());
  const objects = synthesize(code.replace(/from 'cdk8s-registry'/g, `from ${JSON.stringify(SRC.replace(/\.ts$/, ''))}`));
  expect(shown.map((o) => o.kind)).toEqual(objects.map((o) => o.kind));
  const errors = shown.flatMap((o, i) => subsetErrors(o, objects[i], o.kind));
  expect(errors).toEqual([]);
});

test("the garbage collection YAML in docs/day-2-operations.md is what the guide's example synthesizes, every step in order", () => {
  const guide = fs.readFileSync(path.join(ROOT, 'docs', 'day-2-operations.md'), 'utf-8');
  const start = guide.search(/^## Garbage collection/m);
  const section = guide.slice(start, start + 3 + guide.slice(start + 3).search(/^## /m));
  const code = section.match(/^```ts\n([\s\S]*?)^```$/m)![1];
  const shown = YAML.parseAllDocuments(section.match(/^```yaml\n([\s\S]*?)^```$/m)![1]).map((d) => d.toJS());
  const objects = synthesize(code.replace(/from 'cdk8s-registry'/g, `from ${JSON.stringify(SRC.replace(/\.ts$/, ''))}`));
  const errors = shown.flatMap((o) => {
    const actual = objects.find((a) => a.kind === o.kind && (o.metadata?.name === undefined || a.metadata.name === o.metadata.name));
    return actual ? subsetErrors(o, actual, o.kind, true) : [`no ${o.kind} ${o.metadata?.name ?? ''} synthesized`];
  });
  expect(errors).toEqual([]);
  // Every step of the job's pod is shown: a step added or renamed must reach the guide.
  const steps = (job: any) => {
    const pod = job.spec.jobTemplate.spec.template.spec;
    return [...pod.initContainers, ...pod.containers].map((c: any) => c.name);
  };
  expect(steps(shown.find((o) => o.kind === 'CronJob'))).toEqual(steps(objects.find((o) => o.kind === 'CronJob')));
  // The numbered steps of the prose name the same steps, in the same order.
  const prose = [...section.matchAll(/^\d\. `([a-z-]+)`/gm)].map((m) => m[1]).filter((name) => name !== 'flush-blob-descriptor-cache');
  expect(prose).toEqual(steps(objects.find((o) => o.kind === 'CronJob')));
});
