import { RegistryVersion } from '../../src';
import { releaseOfTag, splitImage } from '../../src/util/image-reference';

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
