/**
 * The config structure model (src/config/config-structure.ts) against the real registries: for each line
 * (2.8, 3.0, 3.1) and each REGISTRY_* variable below, what the model predicts (read, ignored, fatal at
 * start) is what the registry binary does. The expectations come from the model, the observations from the
 * registry's own behaviour (a warning, an effect in its log, an exit), so a wrong model fails here.
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Yaml } from 'cdk8s';
import {
  cleanupAll, cleanEnv, describeVersions, e2eVersions, freePort, httpRequest, isRunning, requireEnvironment, sleep, stopProcess, tempDir,
  trackProcess,
} from './harness';
import { configSectionProblem, registryEnvProblem } from '../../src/config/config-structure';

/** A config with one (disabled) notification endpoint, so that list items have something to address. */
function config(port: number): { [key: string]: any } {
  return {
    version: '0.1',
    log: { level: 'info', formatter: 'text' },
    storage: { inmemory: {} },
    // A fixed http.secret keeps the registry's own warning about a generated one out of the log.
    http: { addr: `127.0.0.1:${port}`, secret: 'test-only-upload-signing-key' },
    notifications: { endpoints: [{ name: 'audit', url: 'http://127.0.0.1:9/events', disabled: true, timeout: '1s', threshold: 1, backoff: '1s' }] },
  };
}

/** Each variable, and the log line that shows the registry used it (when the variable has a visible effect). */
const CASES: Array<{ name: string; value: string; effect?: RegExp }> = [
  { name: 'REGISTRY_PROXY_PASSWROD', value: 'x' },
  { name: 'REGISTRY_PROXY_PASSWORD', value: 'x' },
  { name: 'REGISTRY_NOTIFICATION_ENDPOINTS', value: '[]' },
  { name: 'REGISTRY_NOTIFICATIONS_ENDPOINTS_0_DISABLED', value: 'false', effect: /configuring endpoint audit/ },
  { name: 'REGISTRY_NOTIFICATIONS_ENDPOINTS_3_DISABLED', value: 'false' },
  { name: 'REGISTRY_REDIS_ADDRS', value: '[127.0.0.1:9]' },
  { name: 'REGISTRY_STORAGE_INMEMORY_ANYTHING', value: 'x' },
];

interface Outcome {
  readonly started: boolean;
  readonly output: string;
}

/** Starts the registry with one extra variable; resolves once it answers on /v2/ or has exited. */
async function run(binary: string, env: { [name: string]: string }, extra: { [section: string]: any } = {}): Promise<Outcome> {
  const dir = tempDir('config-structure-');
  const port = await freePort();
  const file = path.join(dir, 'config.yml');
  fs.writeFileSync(file, Yaml.stringify({ ...config(port), ...extra }));
  const child = spawn(binary, ['serve', file], {
    env: cleanEnv({ OTEL_TRACES_EXPORTER: 'none', ...env }),
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  trackProcess(child);
  let output = '';
  child.stdout!.on('data', (c: Buffer) => { output += c.toString('utf-8'); });
  child.stderr!.on('data', (c: Buffer) => { output += c.toString('utf-8'); });
  for (let i = 0; i < 200 && isRunning(child); i++) {
    const answer = await httpRequest(`http://127.0.0.1:${port}/v2/`).catch(() => undefined);
    if (answer?.status === 200) {
      await stopProcess(child);
      return { started: true, output };
    }
    await sleep(50);
  }
  const started = isRunning(child);
  await stopProcess(child);
  return { started, output };
}

beforeAll(() => requireEnvironment());
afterAll(() => cleanupAll());

describeVersions(e2eVersions(), ({ binary, version }) => {
  test.each(CASES)('$name: the model says what the registry does', async ({ name, value, effect }) => {
    // GIVEN what the model predicts for this line
    const problem = registryEnvProblem(version, name, config(0));
    // WHEN the real registry starts with the variable
    const outcome = await run(binary, { [name]: value });
    const warned = outcome.output.includes(`Ignoring unrecognized environment variable ${name}`);
    // THEN it behaves as predicted
    if (problem === undefined) {
      expect({ started: outcome.started, warned }).toEqual({ started: true, warned: false });
      if (effect) expect(outcome.output).toMatch(effect);
    } else if (/fail at start/.test(problem)) {
      expect(outcome.started).toBe(false);
      expect(outcome.output).toMatch(/undefined index|index out of range/);
    } else {
      expect(/is ignored/.test(problem)).toBe(true);
      expect(outcome.started).toBe(true);
      // Ignored: with the parser's own warning, or without one (lists on 2.8) and without effect.
      if (!warned) expect(effect === undefined || !effect.test(outcome.output)).toBe(true);
      if (!warned && effect === undefined) expect(problem).toMatch(/is a list/);
    }
  });

  test('the model gives each kind of verdict on this line', () => {
    const verdicts = CASES.map(({ name }) => registryEnvProblem(version, name, config(0)));
    expect(verdicts.filter((p) => p === undefined).length).toBeGreaterThan(0);
    expect(verdicts.filter((p) => p !== undefined && /is ignored/.test(p)).length).toBeGreaterThan(0);
  });

  test('a misspelled section starts the registry without a word, which is why the library refuses it', async () => {
    const section = { endpoints: [{ name: 'typo', url: 'http://127.0.0.1:9/events', timeout: '1s', threshold: 1, backoff: '1s' }] };
    expect(configSectionProblem(version, 'notification', section)).toMatch(/[Dd]id you mean 'notifications'/);
    expect(configSectionProblem(version, 'notifications', section)).toBeUndefined();
    const outcome = await run(binary, {}, { notification: section });
    expect(outcome.started).toBe(true);
    expect(outcome.output).not.toMatch(/typo/);
    expect(outcome.output).not.toMatch(/level=(error|warning)/);
  });
});
