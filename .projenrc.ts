import { cdk8s, javascript, JsonFile, YamlFile } from 'projen';

const project = new cdk8s.ConstructLibraryCdk8s({
  name: 'cdk8s-registry',
  description:
    'cdk8s constructs for a self-hosted CNCF distribution container registry (registry:2.8 and 3.x) on Kubernetes and OpenShift',
  author: 'cdk8s-registry maintainers',
  authorAddress: 'maintainers@users.noreply.github.com',
  repositoryUrl: 'https://github.com/cdk8s-registry/cdk8s-registry.git',
  license: 'Apache-2.0',
  keywords: ['cdk8s', 'kubernetes', 'openshift', 'docker-registry', 'distribution', 'container-registry', 'cdk8s-plus'],
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
  devDeps: ['jest-util@^29.7.0', 'cdk8s-cli@^2.200.0', 'kubernetes-models@^4.4.0', 'yaml@^2.8.0'],

  github: false,
  release: false,
  docgen: true,

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
  gitignore: ['/dist/', '/.e2e-work/', '/bench/results/'],
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
