import * as fs from 'fs';
import { cdk8s, javascript, JsonFile, YamlFile } from 'projen';

// The version is the newest release in CHANGELOG.md (`## [0.1.0] - date`): one place to bump.
const releaseHeading = /^## \[(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?)\]/m.exec(fs.readFileSync('CHANGELOG.md', 'utf-8'));
if (!releaseHeading) throw new Error('CHANGELOG.md has no release heading such as "## [0.1.0] - 2026-11-26"');
const version = releaseHeading[1];

const project = new cdk8s.ConstructLibraryCdk8s({
  name: 'cdk8s-registry',
  description:
    'cdk8s constructs for a self-hosted CNCF distribution container registry (registry:2.8 and 3.x) on Kubernetes and OpenShift',
  author: 'cdk8s-registry maintainers',
  authorAddress: 'maintainers@users.noreply.github.com',
  repositoryUrl: 'https://github.com/cdk8s-registry/cdk8s-registry.git',
  license: 'Apache-2.0',
  homepage: 'https://github.com/cdk8s-registry/cdk8s-registry',
  bugsUrl: 'https://github.com/cdk8s-registry/cdk8s-registry/issues',
  // Construct Hub lists jsii libraries with a framework keyword (`cdk8s`) and shows the stability and targets below.
  keywords: ['cdk8s', 'kubernetes', 'openshift', 'docker-registry', 'distribution', 'container-registry', 'cdk8s-plus'],
  // 0.x: the API may still change between minor releases (jsii marks every API experimental).
  stability: 'experimental',
  defaultReleaseBranch: 'main',
  packageManager: javascript.NodePackageManager.NPM,
  minNodeVersion: '20.0.0',
  projenrcTs: true,

  // cdk8s 2.x, constructs 10.3, cdk8s-plus-27 as a peer.
  cdk8sVersion: '2.68.91',
  constructsVersion: '10.3.0',
  peerDeps: ['cdk8s-plus-27@^2.9.5'],

  // jsii and TypeScript pinned to a pair that builds.
  jsiiVersion: '~5.9.0',
  typescriptVersion: '~5.9.0',

  // bcrypt for HtpasswdAuth is shipped inside the package (jsii bundles it).
  bundledDeps: ['bcryptjs@^3.0.3'],
  // azurite: the Azure Blob emulator the e2e suite runs registry 3.x's azure driver against (3.36+ need Node 21+).
  devDeps: ['jest-util@^29.7.0', 'cdk8s-cli@^2.200.0', 'kubernetes-models@^4.4.0', 'yaml@^2.8.0', 'azurite@~3.35.0'],

  github: false,
  release: false,
  docgen: true,

  // jsii targets, named as the cdk8s-team libraries name theirs (cdk8s-plus: org.cdk8s / cdk8s_plus_27 /
  // Org.Cdk8s.Plus27 / github.com/cdk8s-team/cdk8s-plus-go), under this project's own GitHub namespace.
  publishToPypi: {
    distName: 'cdk8s-registry',
    module: 'cdk8s_registry',
  },
  publishToMaven: {
    mavenGroupId: 'io.github.cdk8s-registry',
    mavenArtifactId: 'cdk8s-registry',
    javaPackage: 'io.github.cdk8sregistry',
  },
  publishToNuget: {
    dotNetNamespace: 'Io.Github.Cdk8sRegistry',
    packageId: 'Io.Github.Cdk8sRegistry',
  },
  publishToGo: {
    moduleName: 'github.com/cdk8s-registry/cdk8s-registry-go',
    packageName: 'cdk8sregistry',
  },

  jestOptions: {
    // jest 30 and eslint-import-resolver-typescript 4 need unrs-resolver, whose optional per-platform binaries
    // are not all served by the registry here, which breaks `npm ci`. jest 29 pairs with ts-jest 29.
    jestVersion: '^29',
    // Snapshots are checked, never rewritten by the test task (`jest --ci`).
    updateSnapshot: javascript.UpdateSnapshot.NEVER,
    jestConfig: {
      testPathIgnorePatterns: ['/node_modules/', '/test/e2e/'],
      // A closing `N passed, N failed` line for CI logs (the e2e config uses the same reporter).
      reporters: [new javascript.JestReporter('<rootDir>/test/summary-reporter.js')],
    },
  },
  gitignore: ['/dist/', '/.e2e-work/', '/bench/results/', '/.jsii.tabl.json', '/rosetta/fragment.ts-fixture'],
});

// The example app: `cdk8s synth` writes plain YAML into dist/manifests (it wipes its output folder,
// so it must not share a folder with the npm tarball in dist/js).
new YamlFile(project, 'cdk8s.yaml', {
  obj: {
    language: 'typescript',
    app: 'npx ts-node -P examples/tsconfig.json examples/main.ts',
    output: 'dist/manifests',
    imports: [],
  },
});

project.package.addVersion(version);

// The npm tarball holds what users need: lib/ (JavaScript and typings), .jsii, README, LICENSE, CHANGELOG and
// the bundled bcryptjs. Checked by test/package.test.ts against `npm pack --dry-run --json`.
// The rosetta tablet (.jsii.tabl.json, built by `npx projen rosetta`) is shipped: Construct Hub shows its compiled
// translations of the README's examples instead of translating them live without the fixtures.
for (const pattern of ['/.ci/', '/bench/', '/tools/', '/examples/', '/cdk8s.yaml', '/docs/', '/API.md', '/CONTRIBUTING.md', '/rosetta/', '/dist/', '/.e2e-work/', '/test-reports/', '/coverage/']) {
  project.addPackageIgnore(pattern);
}

// The examples of the README and of the guides in docs/ must translate for Construct Hub (Python, Java, .NET, Go):
// fragments are fenced as ```ts fixture=fragment and completed by a fixture generated from the library's exports.
// The translations land in the tablet .jsii.tabl.json, which the package ships (.ci/rosetta-count checks them).
project.addTask('rosetta', {
  description: 'Compile and translate the examples of the README and the guides into the rosetta tablet (needs the compiled library: npx projen compile)',
  steps: [
    { exec: 'node rosetta/generate-fixture.js' },
    { exec: 'node rosetta/extract.js' },
  ],
});

project.addTask('synth', {
  description: 'Synthesize the example registries into dist/manifests',
  // No upgrade check: it asks the public npm registry on every run (noisy and slow offline).
  exec: 'cdk8s synth --check-upgrade=false',
});

project.addTask('e2e', {
  description: 'Run the synthesized manifests against the real distribution registry (needs root and the Debian packages in .ci/run)',
  exec: 'jest --ci --config test/e2e/jest.config.json --coverage=false',
});

project.addTask('bench', {
  description: 'Benchmarks: synthesis against byte-identical baselines, at scale, and bcrypt per request on the real registry (needs root)',
  // Compiled once, then plain node: the scale benchmark starts a fresh process per measurement.
  steps: [
    { exec: 'tsc -p bench/tsconfig.json --noEmit false --declaration false --outDir bench/results/js' },
    { exec: 'node bench/results/js/bench/run.js' },
  ],
});

// See jestVersion above: the 3.6 line of the resolver does not use unrs-resolver.
project.deps.removeDependency('eslint-import-resolver-typescript');
project.addDevDeps('eslint-import-resolver-typescript@~3.6.3');

// examples/ and bench/ sit outside src/ (jsii compiles all of src/); each gets a tsconfig of its own
// so that eslint's project service and ts-node find one.
for (const dir of ['examples', 'bench']) {
  new JsonFile(project, `${dir}/tsconfig.json`, {
    obj: {
      extends: '../tsconfig.json',
      compilerOptions: { noEmit: true, rootDir: '..', isolatedModules: true },
      include: ['**/*.ts'],
      // bench/results holds the benchmark's compiled JavaScript (gitignored).
      exclude: ['node_modules', 'results'],
    },
    allowComments: true,
  });
}
project.eslint?.addLintPattern('examples');
project.eslint?.addLintPattern('bench');

project.synth();
