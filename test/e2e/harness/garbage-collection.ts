/**
 * What garbage-collection scenarios look at: the blobs an image is made of, where the filesystem driver keeps
 * them, and the command of a container of the job's pod.
 */
import { httpRequest, HttpRequestOptions } from './http';

type Obj = { [key: string]: any };

/** The manifest media types asked for, so the registry answers with the manifest as pushed. */
export const MANIFEST_TYPES = 'application/vnd.oci.image.manifest.v1+json,application/vnd.docker.distribution.manifest.v2+json';

/**
 * The digests of a pushed image's blobs (layers and config), read from its manifest, and the manifest's digest.
 * `options` carries credentials (`username`, `password`) for a registry with auth.
 */
export async function blobsOf(
  url: string, repo: string, tag: string, options: HttpRequestOptions = {},
): Promise<{ manifest: string; blobs: string[] }> {
  const res = await httpRequest(`${url}/v2/${repo}/manifests/${tag}`, { ...options, headers: { ...options.headers, Accept: MANIFEST_TYPES } });
  if (res.status !== 200) throw new Error(`GET ${repo}:${tag} manifest answered ${res.status}: ${res.body}`);
  const manifest = JSON.parse(res.body);
  return {
    manifest: String(res.headers['docker-content-digest']),
    blobs: [manifest.config.digest, ...manifest.layers.map((l: Obj) => l.digest)],
  };
}

/** Where the storage driver keeps a blob's data, relative to the storage root (`prefix` is an object store's). */
export function blobKey(digest: string, prefix = ''): string {
  const hex = digest.replace('sha256:', '');
  return `${prefix}docker/registry/v2/blobs/sha256/${hex.substring(0, 2)}/${hex}/data`;
}

/** The `command` of the container or init container `name` of a pod spec (a CronJob's job pod, for example). */
export function commandOf(pod: Obj, name: string): string[] {
  return [...(pod.initContainers ?? []), ...pod.containers].find((c: Obj) => c.name === name).command;
}
