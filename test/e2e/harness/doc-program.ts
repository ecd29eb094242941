/**
 * A program of the docs, run as a user runs it: the first ```ts block of a section of a markdown file, with
 * `cdk8s-registry` resolved to this repository's source, its `app.synth()` writing into a temp folder.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Yaml } from 'cdk8s';
import * as ts from 'typescript';

const ROOT = path.join(__dirname, '..', '..', '..');

/**
 * Runs the first ```ts block of the section of `file` (relative to the repository) whose heading matches `heading`
 * (such as /^## Quick start/m), and returns its code and the objects it wrote.
 */
export function synthesizeDocProgram(file: string, heading: RegExp): { code: string; objects: any[] } {
  const doc = fs.readFileSync(path.join(ROOT, file), 'utf-8');
  const start = doc.search(heading);
  if (start < 0) throw new Error(`${file} has no section matching ${heading}`);
  const section = doc.slice(start, start + 3 + doc.slice(start + 3).search(/^## /m));
  const code = section.match(/^```ts\n([\s\S]*?)^```$/m)![1];
  const js = ts.transpileModule(code.replace(/from 'cdk8s-registry'/g, `from ${JSON.stringify(path.join(ROOT, 'src'))}`),
    { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 } }).outputText;
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'doc-program-'));
  const previous = process.env.CDK8S_OUTDIR;
  process.env.CDK8S_OUTDIR = outdir;
  try {
    // eslint-disable-next-line @typescript-eslint/no-implied-eval
    new Function('require', 'module', 'exports', js)(require, { exports: {} }, {});
  } finally {
    if (previous === undefined) delete process.env.CDK8S_OUTDIR;
    else process.env.CDK8S_OUTDIR = previous;
  }
  const objects = fs.readdirSync(outdir).filter((f) => f.endsWith('.yaml')).flatMap((f) => Yaml.load(path.join(outdir, f)));
  fs.rmSync(outdir, { recursive: true, force: true });
  return { code, objects };
}
