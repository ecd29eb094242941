/**
 * The documents themselves: the README for users (short, with a contents list, links that work on npm and
 * Construct Hub), the guides in docs/ (each reachable, anchors that resolve), and docs/migrating-from-helm.md
 * covering every value of the twuni docker-registry chart 3.0.0. The code blocks of all of them are type-checked
 * and run by test/readme.test.ts.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Chart, JsonPatch, Testing } from 'cdk8s';
import { GarbageCollection, RegistryAuth, RegistryDeployment, StorageBackend } from '../src';

const ROOT = path.join(__dirname, '..');
const read = (file: string) => fs.readFileSync(path.join(ROOT, file), 'utf-8');
const README = read('README.md');
const GUIDE = read('docs/migrating-from-helm.md');
const GUIDES = fs.readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`);
/** Where the README links the guides: the repository on GitHub (docs/ is not in the npm package). */
const REPOSITORY = 'https://github.com/cdk8s-registry/cdk8s-registry';

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens (github-slugger). */
function anchor(heading: string): string {
  return heading.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/ /g, '-');
}

/** The anchors of a markdown document's headings (outside code blocks). */
function anchors(text: string): Set<string> {
  const withoutCode = text.replace(/^```[\s\S]*?^```$/gm, '');
  return new Set([...withoutCode.matchAll(/^#{1,6} (.+)$/gm)].map((m) => anchor(m[1])));
}

/** The targets of a document's markdown links, outside code blocks and inline code. */
function links(text: string): string[] {
  const prose = text.replace(/^```[\s\S]*?^```$/gm, '').replace(/`[^`\n]*`/g, '');
  return [...prose.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]);
}

/** The files `npm pack` puts in the tarball: the only files a link from the README may point to. */
function packedFiles(): string[] {
  const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf-8', stdio: ['ignore', 'pipe', 'ignore'] });
  return JSON.parse(out)[0].files.map((f: { path: string }) => f.path);
}

/**
 * Resolves a link of `from` to a repository file and an anchor, or an error. Relative links resolve against the
 * document's folder; links into this repository on GitHub against the repository root.
 */
function resolveLink(from: string, target: string): { file?: string; hash?: string; error?: string } {
  if (target.startsWith(`${REPOSITORY}/`)) {
    const m = /^\/(?:blob|tree)\/main\/([^#]*)(?:#(.*))?$/.exec(target.slice(REPOSITORY.length));
    if (!m) return { error: `${target}: a link into the repository is ${REPOSITORY}/blob/main/PATH` };
    return { file: m[1].replace(/\/$/, ''), hash: m[2] };
  }
  if (/^[a-z]+:/.test(target)) return {}; // another site
  const [file, hash] = target.split('#');
  return { file: file ? path.posix.normalize(path.posix.join(path.posix.dirname(from), file)) : from, hash };
}

/** Every link of the documents to a file of this repository, with the anchor it names. */
function brokenLinks(file: string): string[] {
  const problems: string[] = [];
  for (const target of links(read(file))) {
    const { file: linked, hash, error } = resolveLink(file, target);
    if (error) problems.push(`${file}: ${error}`);
    if (!linked) continue;
    if (!fs.existsSync(path.join(ROOT, linked))) {
      problems.push(`${file}: ${target}: no ${linked} in the repository`);
    } else if (hash && linked.endsWith('.md') && !anchors(read(linked)).has(hash)) {
      problems.push(`${file}: ${target}: ${linked} has no heading with the anchor #${hash}`);
    }
  }
  return problems;
}

describe('the README, for users', () => {
  test('at most 400 lines, with a contents list whose every entry is a heading of the README', () => {
    expect(README.trimEnd().split('\n').length).toBeLessThanOrEqual(400);
    const contents = README.slice(README.indexOf('## Contents'), README.indexOf('\n## ', README.indexOf('## Contents') + 3));
    const entries = links(contents).filter((l) => l.startsWith('#')).map((l) => l.slice(1));
    expect(entries.length).toBeGreaterThanOrEqual(8);
    expect(entries.filter((e) => !anchors(README).has(e))).toEqual([]);
    // Every section of the README is in the contents list.
    const sections = [...README.matchAll(/^## (.+)$/gm)].map((m) => anchor(m[1])).filter((a) => a !== 'contents');
    expect(sections.filter((section) => !entries.includes(section))).toEqual([]);
  });

  test('the sections a new user looks for, in order: install, quick start, next steps, defaults, versions, ways in, guides', () => {
    const order = ['## Install', '## Quick start', '## Fast synth', '## Next steps', '## What you get by default', '## Registry versions', '## Ways in', '## Guides'];
    const at = order.map((heading) => README.search(new RegExp(`^${heading}`, 'm')));
    expect(at.filter((i) => i < 0)).toEqual([]);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
  });

  test('one example per way in: AWS load balancer, Ingress, OpenShift Route', () => {
    const waysIn = README.slice(README.indexOf('## Ways in'), README.indexOf('\n## ', README.indexOf('## Ways in') + 3));
    const programs = [...waysIn.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((m) => m[1]);
    for (const prop of ['loadBalancer', 'ingress', 'route']) {
      expect({ prop, examples: programs.filter((p) => new RegExp(`^  ${prop}: \\{`, 'm').test(p)).length }).toEqual({ prop, examples: 1 });
    }
  });

  test('next steps: apply, log in, push, pull, and what nodes need (pull secret, a way in they resolve and trust)', () => {
    const next = README.slice(README.indexOf('## Next steps'), README.indexOf('\n## ', README.indexOf('## Next steps') + 3));
    for (const needed of [/kubectl apply -f dist\/registry\.k8s\.yaml/, /docker login/, /docker push/, /docker pull/, /port-forward/,
      /ClusterIP-only registry is\s+not reachable by the kubelet/, /imagePullSecrets/, /docker-registry/, /name the nodes resolve/, /certificate they\s+trust/]) {
      expect(next).toMatch(needed);
    }
  });

  test('fast synth: the cdk8s.yaml app is the fast command shown, with the type check kept for CI', () => {
    const fast = README.slice(README.indexOf('## Fast synth'), README.indexOf('\n## ', README.indexOf('## Fast synth') + 3));
    const commands = fast.match(/^```sh\n([\s\S]*?)^```$/m)![1].split('\n').map((l) => l.replace(/\s+#.*$/, '').trim()).filter(Boolean);
    expect(commands).toEqual([expect.stringMatching(/transpile-only main\.ts$/), 'npx tsc --noEmit']);
    expect(fast.match(/^```yaml\n[\s\S]*?^app: (.+)$/m)![1]).toBe(commands[0]);
    expect(fast).toMatch(/benchmarks\.md#whole-process-synth-as-a-user-runs-it/);
  });

  test('no words of the project\'s own history ("seed 001"), in the README or a guide', () => {
    for (const file of ['README.md', 'CONTRIBUTING.md', ...GUIDES]) {
      expect({ file, seeds: read(file).match(/\bseeds?\s+0\d\d/gi) ?? [] }).toEqual({ file, seeds: [] });
    }
  });

  test('links only to files in the npm package, or to this repository by URL (which must hold the file and the heading)', () => {
    const packed = packedFiles();
    const outside = links(README)
      .filter((l) => !/^[a-z]+:/.test(l) && !l.startsWith('#'))
      .filter((l) => !packed.includes(l.split('#')[0]));
    expect(outside).toEqual([]);
    expect(brokenLinks('README.md')).toEqual([]);
  });

  test('links every guide in docs/, or a guide that links it (every guide is reachable from the README)', () => {
    const linked = links(README).map((l) => resolveLink('README.md', l).file).filter((f): f is string => f !== undefined);
    const reachable = new Set<string | undefined>(linked);
    for (const guide of linked.filter((file) => GUIDES.includes(file))) {
      for (const l of links(read(guide))) reachable.add(resolveLink(guide, l).file);
    }
    expect(GUIDES.filter((guide) => !reachable.has(guide))).toEqual([]);
  });
});

describe('the guides in docs/', () => {
  test.each(GUIDES)('%s: a title, a way back to the README, and links and anchors that resolve', (file) => {
    const text = read(file);
    expect(text).toMatch(/^# \S/);
    expect(links(text)).toContain('../README.md');
    expect(brokenLinks(file)).toEqual([]);
  });

  test('CONTRIBUTING.md: links resolve', () => {
    expect(brokenLinks('CONTRIBUTING.md')).toEqual([]);
  });

  test('storage backends in one place: every StorageBackend factory in docs/storage.md, none under a heading of its own in the README', () => {
    const storage = read('docs/storage.md');
    const factories = Object.getOwnPropertyNames(StorageBackend).filter((name) => typeof (StorageBackend as any)[name] === 'function');
    expect(factories.length).toBeGreaterThanOrEqual(10);
    expect(factories.filter((factory) => !storage.includes(`StorageBackend.${factory}(`) && !storage.includes(`${factory}(`))).toEqual([]);
    expect(README).not.toMatch(/^#{2,3} (Amazon S3|Azure|Google Cloud Storage|Aliyun OSS|OpenStack Swift)/m);
  });
});

describe('docs/migrating-from-helm.md', () => {

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

  test('where GC resources land, as the guide says: containers/0 is kubectl remove-switch, the collector an init container with the registry\'s resources, an added annotation keeps the window\'s', () => {
    const chart = new Chart(Testing.app(), 'registry', { namespace: 'container-registry' });
    const registry = new RegistryDeployment(chart, 'Registry', { name: 'registry', auth: RegistryAuth.none(), storageOptions: { deleteEnabled: true } });
    const gc = new GarbageCollection(chart, 'GarbageCollection', { registry });
    gc.cronJob.addJsonPatch(JsonPatch.add('/spec/jobTemplate/spec/template/metadata/annotations/example.com~1team', 'registry'));
    const objects = Testing.synth(chart);
    const pod = objects.find((o) => o.kind === 'CronJob').spec.jobTemplate.spec.template;
    const registryContainer = objects.find((o) => o.kind === 'Deployment').spec.template.spec.containers[0];
    expect(pod.spec.containers.map((c: any) => [c.name, c.command[0]])).toEqual([['remove-switch', 'kubectl']]);
    const collector = pod.spec.initContainers.find((c: any) => c.name === 'garbage-collect');
    expect(collector.resources).toEqual(registryContainer.resources);
    expect(pod.metadata.annotations).toEqual(expect.objectContaining({
      'example.com/team': 'registry',
      'cdk8s-registry/maintenance-switch-open': expect.any(String),
      'cdk8s-registry/maintenance-switch-close': expect.any(String),
    }));
  });

  test('the differences that lose data or change behaviour silently each have their answer', () => {
    const expected: [string, RegExp][] = [
      ['the chart\'s claim, reused', /StorageBackend\.existingClaim\('registry-docker-registry'\)/],
      ['helm uninstall deletes it; the keep annotation on the live claim is not read', /helm uninstall`\s+deletes it[\s\S]*helm\.sh\/resource-policy=keep[\s\S]*helm\/helm#8132/],
      ['the selector changes: delete and recreate', /selector cannot change/],
      ['autoscaling: memory metric and behavior', /memory[\s\S]*`behavior`[\s\S]*JsonPatch\.add\('\/spec\/behavior'/],
      ['podDisruptionBudget.minAvailable', /JsonPatch\.add\('\/spec\/minAvailable'/],
      ['GC defaults and cron conversion', /"0 1 \* \* \*"[\s\S]*Cron\.schedule\(\{ minute: 'M', hour: 'H', day: 'DoM', month: 'Mon', weekDay: 'DoW' \}\)/],
      ['where GC resources land', /main container \(`containers\/0`\) is `remove-switch`, the `kubectl` step[\s\S]*?sizes kubectl, not the collection/],
      ['GC pod annotations: add each key', /never replace `annotations` or `labels`/],
      ['extra env that is not REGISTRY_*', /registry\.container\.env\.addVariable/],
      ['custom http headers (CORS) with a part', /class CorsHeaders implements IRegistryPart/],
      ['cert-manager keeps the chart\'s TLS Secret', /secretName: 'registry-tls'/],
      ['metrics on the main Service every 15 s', /every 15 s[\s\S]*scrapeInterval: Duration\.seconds\(15\)/],
    ];
    expect(expected.filter(([, re]) => !re.test(GUIDE)).map(([what]) => what)).toEqual([]);
  });
});
