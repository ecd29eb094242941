/**
 * The README's TypeScript examples are compiled and run, so they cannot drift from the library.
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
import { manifestErrors } from './util/validate-manifests';

const ROOT = path.join(__dirname, '..');
const SRC = path.join(ROOT, 'src', 'index.ts');

function snippets(): { line: number; code: string }[] {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf-8');
  const result: { line: number; code: string }[] = [];
  const fence = /^```ts\n([\s\S]*?)^```$/gm;
  for (const match of readme.matchAll(fence)) {
    result.push({ line: readme.substring(0, match.index).split('\n').length, code: match[1] });
  }
  return result;
}

const blocks = snippets();

test('the README has TypeScript examples', () => {
  expect(blocks.length).toBeGreaterThan(0);
});

/** Wraps a fragment into a program: the library's exports, a Chart, and the names fragments lean on. */
function asProgram(code: string): string {
  if (/^import /m.test(code)) return code;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const names = Object.keys(require('../src')).sort();
  return [
    "import { App, Chart, Duration, Size } from 'cdk8s';",
    "import * as kplus from 'cdk8s-plus-27';",
    `import { ${names.join(', ')} } from 'cdk8s-registry';`,
    'const app = new App();',
    'class ReadmeExample extends Chart {',
    '  constructor() {',
    "    super(app, 'readme', { namespace: 'readme' });",
    '    const auth = RegistryAuth.none();',
    "    const keys = kplus.Secret.fromSecretName(this, 'ReadmeKeys', 'readme-keys');",
    '    const secret = keys;',
    '    void auth; void secret; void Duration; void Size;',
    '    {',
    code,
    '    }',
    '  }',
    '}',
    'new ReadmeExample();',
    'app.synth();',
  ].join('\n');
}

describe.each(blocks.map((b) => [b.line, b.code] as const))('README example at line %d', (_line, code) => {
  const source = asProgram(code).replace(/from 'cdk8s-registry'/g, `from ${JSON.stringify(SRC.replace(/\.ts$/, ''))}`);

  test('type-checks', () => {
    // Inside the project, so that module resolution finds node_modules.
    const cache = path.join(ROOT, 'node_modules', '.cache');
    fs.mkdirSync(cache, { recursive: true });
    const dir = fs.mkdtempSync(path.join(cache, 'readme-'));
    const file = path.join(dir, 'snippet.ts');
    fs.writeFileSync(file, source);
    const config = ts.readConfigFile(path.join(ROOT, 'test', 'tsconfig.json'), ts.sys.readFile);
    const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, path.join(ROOT, 'test'));
    const program = ts.createProgram([file], { ...parsed.options, noEmit: true, rootDir: undefined, noUnusedLocals: false });
    const diagnostics = ts.getPreEmitDiagnostics(program).filter((d) => d.file?.fileName === file);
    const messages = diagnostics.map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    fs.rmSync(dir, { recursive: true, force: true });
    expect(messages).toEqual([]);
  });

  test('runs and synthesizes valid manifests', () => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'readme-out-'));
    const compilerOptions = { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true };
    const js = ts.transpileModule(source, { compilerOptions }).outputText;
    const previous = process.env.CDK8S_OUTDIR;
    process.env.CDK8S_OUTDIR = outdir;
    // Examples read passwords from the environment, as a CI job would; this canary must not be synthesized.
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
    const files = fs.readdirSync(outdir).filter((f) => f.endsWith('.yaml'));
    expect(files.length).toBeGreaterThan(0); // a fragment that only builds a backend writes an empty chart
    const objects = files.flatMap((f) => Yaml.load(path.join(outdir, f)));
    const everything = files.map((f) => fs.readFileSync(path.join(outdir, f), 'utf-8')).join('\n');
    expect(everything).not.toContain(canary);
    expect(everything).not.toContain(Buffer.from(canary).toString('base64'));
    fs.rmSync(outdir, { recursive: true, force: true });
    expect(manifestErrors(objects)).toEqual([]);
  });
});
