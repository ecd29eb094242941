/**
 * docs/migrating-from-helm.md covers every value of the twuni docker-registry chart 3.0.0. Its code blocks are
 * type-checked and run by test/readme.test.ts.
 */
import * as fs from 'fs';
import * as path from 'path';

const GUIDE = fs.readFileSync(path.join(__dirname, '..', 'docs', 'migrating-from-helm.md'), 'utf-8');

/**
 * The chart's values at tag v3.0.0: the top-level keys of values.yaml, then the ones its templates read that
 * values.yaml only mentions in comments (`git grep -o '\.Values\.[A-Za-z]*' v3.0.0 -- templates`).
 */
const CHART_VALUES = [
  'replicaCount', 'updateStrategy', 'podAnnotations', 'podLabels', 'serviceAccount', 'image', 'deployment', 'service',
  'ingress', 'resources', 'persistence', 'storage', 'secrets', 'proxy', 'metrics', 'configPath', 'configData',
  'containerSecurityContext', 'securityContext', 'priorityClassName', 'podDisruptionBudget', 'autoscaling',
  'nodeSelector', 'affinity', 'tolerations', 'extraVolumeMounts', 'extraVolumes', 'extraEnvVars', 'initContainers',
  'garbageCollect',
  'fullnameOverride', 'nameOverride', 'namespace', 'imagePullSecrets', 's3', 'swift', 'tlsSecretName',
];

/** The secrets the chart takes as values, each of which must say how it is given by reference instead. */
const CHART_SECRETS = ['secrets.haSharedSecret', 'secrets.htpasswd', 'secrets.azure', 'secrets.s3', 'secrets.swift', 'proxy.password'];

function tableRows(): string[] {
  const start = GUIDE.indexOf('## Every value, side by side');
  const end = GUIDE.indexOf('\n## ', start + 1);
  return GUIDE.slice(start, end).split('\n').filter((line) => line.startsWith('| `') || line.startsWith('| -'));
}

test('every value of the chart has a row in the side-by-side tables', () => {
  const firstColumns = tableRows().map((row) => row.split(' | ')[0]);
  const missing = CHART_VALUES.filter((value) => !firstColumns.some((cell) => new RegExp('`' + value + '([`.:\\s]|$)').test(cell)));
  expect(missing).toEqual([]);
});

test('every secret the chart takes as a value is mapped to a reference', () => {
  const rows = tableRows();
  for (const value of CHART_SECRETS) {
    const [group, key] = value.split('.');
    const row = rows.find((r) => r.split(' | ')[0].includes(`\`${value}`) || (r.split(' | ')[0].includes(`\`${group}.`) && r.split(' | ')[0].includes(`.${key}\``)));
    expect({ value, row }).toEqual({ value, row: expect.stringMatching(/Secret|secret/) });
  }
});

test('what differs on purpose: the generated haSharedSecret, secrets by reference, the version-aware config path', () => {
  const start = GUIDE.indexOf('## What is different on purpose');
  expect(start).toBeGreaterThan(0);
  const section = GUIDE.slice(start);
  expect(section).toMatch(/\*\*No random `haSharedSecret`\.\*\*/);
  expect(section).toMatch(/\*\*Secrets by reference\.\*\*/);
  expect(section).toMatch(/\*\*A version-aware config path and model\.\*\*/);
});
