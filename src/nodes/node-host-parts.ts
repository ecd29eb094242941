import { X509Certificate } from 'crypto';
import { NodeRegistryHost } from './node-registry-host';
import { isImageHost } from '../util/validation';

/** `scheme://host[:port]`: the host part is checked as an image host (one rule, `isImageHost`). */
const ENDPOINT = /^(https?):\/\/([^/?#@\s]+)$/;

/** An endpoint split into its parts. */
export interface EndpointParts {
  /** `http` or `https`. */
  readonly scheme: string;
  /** `host[:port]`, as containers/image names a location and OpenShift a mirror (no scheme). */
  readonly location: string;
}

/** Why `imageHost` is not `host[:port]` (lower case, no scheme or path), or undefined. */
export function imageHostProblem(imageHost: unknown): string | undefined {
  if (typeof imageHost !== 'string' || !isImageHost(imageHost)) {
    return `(${JSON.stringify(imageHost)}) must be a registry host as image references name it: a lower-case host name, an IPv4 address or a bracketed IPv6 address, and an optional port from 1 to 65535, without scheme or path, such as "docker.io" or "registry.example.com:5000"`;
  }
  return undefined;
}

/** Why `url` is not `scheme://host[:port]` (http or https, no path, user, query), or undefined. */
export function endpointProblem(url: unknown, example: string): string | undefined {
  const m = typeof url === 'string' ? ENDPOINT.exec(url) : null;
  if (!m || !isImageHost(m[2])) {
    return `(${JSON.stringify(url)}) must be scheme://host[:port]: http or https, a lower-case host name, an IPv4 address or a bracketed IPv6 address, an optional port from 1 to 65535, no path, user, query or trailing '/', such as "${example}"`;
  }
  return undefined;
}

/** Splits an endpoint `scheme://host[:port]`; throws when it is not one (see `endpointProblem`). */
export function endpointParts(url: string, property = 'endpoint'): EndpointParts {
  const problem = endpointProblem(url, 'http://localhost:30500');
  if (problem) throw new Error(`'${property}' ${problem}`);
  const [scheme, location] = url.split('://');
  return { scheme, location };
}

/** Why `pem` is not one or more PEM certificates that parse, or undefined. */
export function caCertificateProblem(pem: unknown): string | undefined {
  const advice = 'must be one or more PEM certificates (-----BEGIN CERTIFICATE----- ... -----END CERTIFICATE-----), the CA that signed the endpoint\'s certificate';
  if (typeof pem !== 'string') return advice;
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
  const rest = blocks.reduce((text, block) => text.replace(block, ''), pem);
  if (blocks.length === 0 || rest.trim() !== '') {
    return `${advice}; it holds ${blocks.length === 0 ? 'no certificate' : 'text besides certificates (a private key does not belong here)'}`;
  }
  for (const [i, block] of blocks.entries()) {
    try {
      new X509Certificate(block);
    } catch (e) {
      return `${advice}; certificate ${i + 1} does not parse (${(e as Error).message})`;
    }
  }
  return undefined;
}

/** The CA certificates as one file: each PEM block on its own lines, a newline at the end. */
export function caFileContent(pem: string): string {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
  return blocks.map((b) => b.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '').join('\n')).join('\n') + '\n';
}

/**
 * The first problem of a host, as the property at fault and what is wrong, or undefined. The renderers throw on it;
 * `NodeRegistryConfig` reports it with its construct path.
 */
export function nodeHostProblem(host: NodeRegistryHost): { readonly property: string; readonly detail: string } | undefined {
  if (host === null || typeof host !== 'object') return { property: 'host', detail: 'must be a NodeRegistryHost' };
  const image = imageHostProblem(host.imageHost);
  if (image) return { property: 'imageHost', detail: image };
  const endpoint = endpointProblem(host.endpoint, 'http://localhost:30500');
  if (endpoint) return { property: 'endpoint', detail: endpoint };
  if (host.upstreamUrl !== undefined) {
    const upstream = endpointProblem(host.upstreamUrl, 'https://registry-1.docker.io');
    if (upstream) return { property: 'upstreamUrl', detail: upstream };
  }
  if (host.caCertificate !== undefined) {
    const ca = caCertificateProblem(host.caCertificate);
    if (ca) return { property: 'caCertificate', detail: ca };
    if (host.endpoint.startsWith('http://')) {
      return { property: 'caCertificate', detail: `is given, but the endpoint (${host.endpoint}) is plain http: give an https endpoint, or leave the CA out` };
    }
  }
  if (host.insecureSkipVerify && host.caCertificate !== undefined) {
    return { property: 'insecureSkipVerify', detail: 'is true and a caCertificate is given: verify with the CA, or skip verification, not both' };
  }
  return undefined;
}

/** Throws on the first problem of `host` (for the renderers, which have no construct path). */
export function requireValidHost(host: NodeRegistryHost): void {
  const problem = nodeHostProblem(host);
  if (problem) {
    const name = host && typeof host === 'object' && typeof host.imageHost === 'string' ? ` of ${JSON.stringify(host.imageHost)}` : '';
    throw new Error(`NodeRegistryHost${name}: '${problem.property}' ${problem.detail}`);
  }
}

/** A TOML basic string (JSON's escapes are TOML's for the characters these values hold). */
export function tomlString(value: string): string {
  return JSON.stringify(value);
}
