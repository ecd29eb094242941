/**
 * The npm package as users get it: what `npm pack` puts in the tarball, its version and the metadata
 * Construct Hub and the jsii language targets read. `.ci/fresh-install` then installs the real tarball.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

const ROOT = path.join(__dirname, '..');
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf-8'));

/** The files `npm pack` would put in the tarball, as `npm pack --dry-run --json` lists them. */
function packedFiles(): string[] {
  const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf-8', stdio: ['ignore', 'pipe', 'ignore'] });
  return JSON.parse(out)[0].files.map((f: { path: string }) => f.path).sort();
}

/** What a user of the library needs, and nothing else. */
const ALLOWED: RegExp[] = [
  /^package\.json$/, /^README\.md$/, /^LICENSE$/, /^CHANGELOG\.md$/, /^\.jsii$/,
  /^\.jsii\.tabl\.json$/, // the rosetta tablet: Construct Hub's translations of the README's examples (npx projen rosetta)
  /^lib\/.+\.(js|d\.ts)$/,
  /^node_modules\/bcryptjs\//, // bundled: HtpasswdAuth hashes with it at synth time
];

describe('npm pack', () => {
  const files = packedFiles();

  test('lists only what users need', () => {
    expect(files.filter((f) => !ALLOWED.some((re) => re.test(f)))).toEqual([]);
    for (const required of ['package.json', 'README.md', 'LICENSE', 'CHANGELOG.md', 'node_modules/bcryptjs/package.json']) {
      expect(files).toContain(required);
    }
  });

  test('ships no repository tooling, sources, tests, examples or benchmarks', () => {
    const unwanted = files.filter((f) => /^(\.ci|bench|examples|src|test|docs|dist|projenrc|\.projen)\//.test(f)
      || /^(cdk8s\.yaml|API\.md|CONTRIBUTING\.md|tsconfig\.json|\.projenrc\.ts|\.eslintrc\.json)$/.test(f)
      || /\.test\.(js|d\.ts)$/.test(f));
    expect(unwanted).toEqual([]);
  });

  // `npm test` runs in a fresh clone before any build; CI compiles first, so there lib/ and .jsii are checked.
  const built = fs.existsSync(path.join(ROOT, 'lib', 'index.js')) && fs.existsSync(path.join(ROOT, '.jsii'));
  (built || process.env.CI ? test : test.skip)('ships the compiled library and its jsii assembly', () => {
    for (const required of ['lib/index.js', 'lib/index.d.ts', '.jsii']) {
      expect(files).toContain(required);
    }
  });

  // The tablet exists once `npx projen rosetta` ran (CI runs it before the tests); .ci/rosetta-count checks its content.
  (fs.existsSync(path.join(ROOT, '.jsii.tabl.json')) ? test : test.skip)('ships the rosetta tablet beside the assembly', () => {
    expect(files).toContain('.jsii.tabl.json');
  });
});

describe('package metadata', () => {
  test('a semver version that matches the newest CHANGELOG release', () => {
    expect(pkg.version).toMatch(/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/);
    expect(pkg.version).not.toBe('0.0.0');
    const changelog = fs.readFileSync(path.join(ROOT, 'CHANGELOG.md'), 'utf-8');
    // The newest release heading, as .projenrc.ts reads it: an `## [Unreleased]` section above it is Keep a Changelog's.
    expect(/^## \[(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?)\]/m.exec(changelog)?.[1]).toBe(pkg.version);
  });

  test('what Construct Hub reads: framework keyword, license, repository, stability, description', () => {
    expect(pkg.keywords).toContain('cdk8s');
    expect(pkg.license).toBe('Apache-2.0');
    expect(pkg.repository.url).toMatch(/^https:\/\/github\.com\//);
    expect(pkg.homepage).toMatch(/^https:\/\//);
    expect(['experimental', 'stable', 'deprecated']).toContain(pkg.stability);
    expect(pkg.description.length).toBeGreaterThan(20);
    expect(pkg.peerDependencies).toEqual(expect.objectContaining({ 'cdk8s': expect.any(String), 'cdk8s-plus-27': expect.any(String), 'constructs': expect.any(String) }));
  });

  test('jsii targets for Python, Java, .NET and Go, named after the package', () => {
    const targets = pkg.jsii.targets;
    expect(targets.python).toEqual({ distName: 'cdk8s-registry', module: 'cdk8s_registry' });
    expect(targets.java.maven.artifactId).toBe('cdk8s-registry');
    expect(targets.java.package).toMatch(/^[a-z][a-z0-9]*(\.[a-z][a-z0-9]*)+$/); // a valid Java package name
    expect(targets.dotnet.namespace).toMatch(/^([A-Z][A-Za-z0-9]*)(\.[A-Z][A-Za-z0-9]*)+$/);
    expect(targets.dotnet.packageId).toBe(targets.dotnet.namespace);
    expect(targets.go.moduleName).toBe(`${pkg.repository.url.replace(/^https:\/\//, '').replace(/\.git$/, '')}-go`);
  });
});
