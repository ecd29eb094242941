// Builds the rosetta tablet `.jsii.tabl.json` that the npm package ships: the translations (Python, Java, .NET, Go)
// of every TypeScript example of the README and of every guide in docs/, each compiled with --strict (a snippet that
// does not compile fails the build). Construct Hub reads the tablet beside `.jsii` and shows these translations
// instead of translating live without the fixtures (which marks fragments "non-compiling source").
//
// The README is the assembly's own readme. The guides are not in the assembly, so each is extracted from a copy of
// it whose readme is the guide: a folder under node_modules/.cache/rosetta-guides/<guide> holding that `.jsii`, the
// package.json, and links to lib/, node_modules/ and rosetta/ (its fixtures), so it compiles as the package does;
// removed when the tablet is written.
// Run after `npx projen compile` and rosetta/generate-fixture.js (`npx projen rosetta` runs all three).
const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const root = path.join(__dirname, '..');
const work = path.join(root, 'node_modules', '.cache', 'rosetta-guides');
const tablet = path.join(root, '.jsii.tabl.json');

/** The guides whose examples go into the tablet: every docs/*.md with a TypeScript block. */
function guides() {
  const dir = path.join(root, 'docs');
  return fs.readdirSync(dir).filter((f) => f.endsWith('.md')).sort()
    .filter((f) => /^```(ts|typescript)\b/m.test(fs.readFileSync(path.join(dir, f), 'utf-8')));
}

fs.rmSync(work, { recursive: true, force: true });
const assembly = JSON.parse(fs.readFileSync(path.join(root, '.jsii'), 'utf-8'));
const folders = ['.'];
for (const guide of guides()) {
  const folder = path.join(work, path.basename(guide, '.md'));
  fs.mkdirSync(folder, { recursive: true });
  const copy = { ...assembly, readme: { markdown: fs.readFileSync(path.join(root, 'docs', guide), 'utf-8') } };
  fs.writeFileSync(path.join(folder, '.jsii'), JSON.stringify(copy, undefined, 2));
  fs.copyFileSync(path.join(root, 'package.json'), path.join(folder, 'package.json'));
  for (const link of ['lib', 'node_modules', 'rosetta']) fs.symlinkSync(path.join(root, link), path.join(folder, link));
  folders.push(path.relative(root, folder));
}

// One run for all: every snippet compiled once, all translations appended to one tablet.
const all = path.join(work, 'all.tabl.json');
execFileSync('jsii-rosetta', ['extract', '--strict', '--cache-to', all, ...folders], { cwd: root, stdio: 'inherit' });
fs.copyFileSync(all, tablet);
// The copies link node_modules from inside node_modules: a cycle that tools walking node_modules follow without end
// (jsii-docgen ran out of memory after this script). Remove them; the tablet is all that is kept.
fs.rmSync(work, { recursive: true, force: true });
const snippets = Object.values(JSON.parse(fs.readFileSync(tablet, 'utf-8')).snippets);
const failed = snippets.filter((s) => !s.didCompile).length;
console.log(`rosetta tablet: ${snippets.length} examples from README.md and ${folders.length - 1} guides (${guides().join(', ')}), ${failed} not compiling -> .jsii.tabl.json`);
if (failed > 0) process.exit(1);
