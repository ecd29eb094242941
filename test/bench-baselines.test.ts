/**
 * The benchmark's baselines must keep emitting the library's YAML byte for byte (bench/registries.ts), or
 * `npm run bench` refuses to report. Checked here too, so a change of the library's output that the baselines
 * do not follow fails the tests where it is made, not later in the benchmark.
 */
import { App, Chart } from 'cdk8s';
import { chartYaml, WRITERS } from '../bench/registries';

function synth(variant: string): string {
  const chart = new Chart(new App({ outdir: '/dev/null' }), 'registry', { namespace: 'container-registry' });
  WRITERS[variant](chart, 'Registry', 'registry');
  return chartYaml(chart);
}

test('every benchmark baseline synthesizes the library\'s YAML byte for byte', () => {
  const library = synth('library');
  expect(library).toMatch(/kind: Deployment/);
  for (const variant of Object.keys(WRITERS).filter((v) => v !== 'library')) {
    expect({ variant, yaml: synth(variant) }).toEqual({ variant, yaml: library });
  }
});
