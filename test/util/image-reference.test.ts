import { Testing } from 'cdk8s';
import { GarbageCollection, RegistryAuth, RegistryDeployment, RegistryVersion } from '../../src';
import { imageReferenceProblem, releaseOfTag, splitImage } from '../../src/util/image-reference';

describe('image references: one parser for RegistryVersion.tryFromImage and the image checks', () => {
  test('splitImage: repository, tag (latest without one), digest; a registry host\'s port is no tag', () => {
    expect(splitImage('registry:3.1.2')).toEqual({ repository: 'registry', tag: '3.1.2', tagged: true, digest: false });
    expect(splitImage('localhost:5000/registry')).toEqual({ repository: 'localhost:5000/registry', tag: 'latest', tagged: false, digest: false });
    expect(splitImage('mirror.example.com:443/lib/registry:2.8.3@sha256:abc')).toEqual({
      repository: 'mirror.example.com:443/lib/registry', tag: '2.8.3', tagged: true, digest: true,
    });
    expect(splitImage('registry@sha256:abc')).toEqual({ repository: 'registry', tag: 'latest', tagged: false, digest: true });
  });

  test('releaseOfTag: full releases (with suffix), lines, majors, with or without v; nothing else', () => {
    expect(releaseOfTag('3.1.2')).toEqual({ major: 3, minor: 1, patch: 2, suffixed: false });
    expect(releaseOfTag('v2.8.3-alpine')).toEqual({ major: 2, minor: 8, patch: 3, suffixed: true });
    expect(releaseOfTag('3.1')).toEqual({ major: 3, minor: 1, patch: undefined, suffixed: false });
    expect(releaseOfTag('3')).toEqual({ major: 3, minor: undefined, patch: undefined, suffixed: false });
    expect(releaseOfTag('2-rc')).toEqual({ major: 2, minor: undefined, patch: undefined, suffixed: true });
    for (const tag of ['latest', 'edge', '3.1.2.4', 'release-3.1.2', '']) expect([tag, releaseOfTag(tag)]).toEqual([tag, undefined]);
  });

  test('tryFromImage reads through it: 2 is 2.8, a line is its .0, a suffixed major or a floating 3 is none', () => {
    const read = (image: string) => RegistryVersion.tryFromImage(image)?.version;
    expect(read('registry:2')).toBe('2.8.3');
    expect(read('registry:v2')).toBe('2.8.3');
    expect(read('registry:2-rc')).toBeUndefined();
    expect(read('registry:3')).toBeUndefined();
    expect(read('registry:3.1')).toBe('3.1.0');
    expect(read('registry:3.1-rc1')).toBe('3.1.0');
    expect(read('ghcr.io/distribution/distribution:3.1.1')).toBe('3.1.1');
    expect(read('localhost:5000/registry')).toBeUndefined();
    expect(read('registry@sha256:abc')).toBeUndefined();
  });
});

describe('imageReferenceProblem: what the container runtime would refuse to pull, caught at synth', () => {
  test('well-formed references pass', () => {
    for (const image of ['registry:3.1.2', 'docker.io/library/registry:2.8.3', 'Mirror.Example.com:5000/team/registry:3.1.2',
      'localhost:5000/registry', 'ghcr.io/a_b/c__d/e-f.g:v3.1.2-alpine', `registry@sha256:${'a'.repeat(64)}`,
      `registry:3.1.2@sha256:${'0'.repeat(64)}`]) {
      expect([image, imageReferenceProblem(image)]).toEqual([image, undefined]);
    }
  });

  test('upper case in the repository, a bad tag, host or digest are named', () => {
    expect(imageReferenceProblem('Registry:3.1.2')).toMatch(/invalid repository part "Registry": lower-case/);
    expect(imageReferenceProblem('mirror.example.com/Team/registry:3.1.2')).toMatch(/invalid repository part "Team"/);
    expect(imageReferenceProblem('registry:3.1.2 ')).toMatch(/invalid tag "3.1.2 "/);
    expect(imageReferenceProblem('registry:.3')).toMatch(/invalid tag/);
    expect(imageReferenceProblem('mirror_example.com/registry:3.1.2')).toMatch(/invalid registry host "mirror_example.com"/);
    expect(imageReferenceProblem('registry@sha256:abc')).toMatch(/malformed digest/);
    expect(imageReferenceProblem('registry@sha256:a@b')).toMatch(/malformed digest/);
    expect(imageReferenceProblem('team//registry:3.1.2')).toMatch(/invalid repository part ""/);
  });

  test('RegistryDeployment and GarbageCollection refuse them at the prop', () => {
    const chart = Testing.chart();
    expect(() => new RegistryDeployment(chart, 'Registry', { auth: RegistryAuth.none(), image: 'Registry:3.1.2' }))
      .toThrow(/Registry: 'image' \("Registry:3.1.2"\) has an invalid repository part "Registry"/);
    const registry = new RegistryDeployment(chart, 'Ok', { auth: RegistryAuth.none() });
    expect(() => new GarbageCollection(chart, 'GC', { registry, kubectlImage: 'Bitnami/kubectl:1.31' }))
      .toThrow(/GC: 'kubectlImage' \("Bitnami\/kubectl:1.31"\) has an invalid repository part "Bitnami"/);
  });
});
