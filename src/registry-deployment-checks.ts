import { IConstruct } from 'constructs';
import { Platform } from './platform';
import { LogFormat, LogLevel, RegistryDeploymentProps } from './registry-deployment-props';
import { imageReferenceProblem } from './util/image-reference';
import { claimName } from './util/object-names';
import { checkResources } from './util/resources';
import { propError, requireDns1035Label, requireIntegerInRange, requireOneOf, requireProp } from './util/validation';

/** The props of a registry that stand alone, checked, with their defaults. */
export interface CheckedRegistryProps {
  readonly props: RegistryDeploymentProps;
  readonly replicas: number;
  readonly platform: Platform;
  readonly runAsUser: number;
}

/**
 * Checks the props of a registry that need nothing else (the name and its twins, replicas, platform, log, resources,
 * user), in the order the errors have always come in, and gives them with their defaults.
 */
export function checkRegistryProps(scope: IConstruct, given: RegistryDeploymentProps): CheckedRegistryProps {
  const props = requireProp(scope, 'props', given, 'give at least { auth }');
  requireProp(scope, 'auth', props.auth, 'pass an auth method such as HtpasswdAuth, or RegistryAuth.none() to run an open registry on purpose');
  if (props.name !== undefined) {
    requireDns1035Label(scope, 'name', props.name); // it names the Service too
    const claim = claimName(scope, 'RegistryDeployment', props.name);
    if (claim) {
      throw propError(scope, 'name', `(${JSON.stringify(props.name)}) is already the name of registry ${claim.twin.node.path} in ${claim.where}: `
        + 'their Deployments, Services and ConfigMaps would overwrite each other. Give each registry its own name, or put the registries in charts of different namespaces');
    }
  }
  const replicas = props.replicas ?? 1;
  requireIntegerInRange(scope, 'replicas', replicas, 1, 100);
  const platform = requireOneOf(scope, 'platform', props.platform ?? Platform.KUBERNETES, Object.values(Platform));
  requireOneOf(scope, 'logLevel', props.logLevel ?? LogLevel.INFO, Object.values(LogLevel));
  requireOneOf(scope, 'logFormat', props.logFormat ?? LogFormat.TEXT, Object.values(LogFormat));
  if (props.resources) checkResources(scope, props.resources);
  const runAsUser = props.runAsUser ?? 1000;
  requireIntegerInRange(scope, 'runAsUser', runAsUser, 1, 2147483647);
  return { props, replicas, platform, runAsUser };
}

/** Refuses an empty or malformed image reference. */
export function checkImage(scope: IConstruct, image: string): void {
  if (image.trim() === '') {
    throw propError(scope, 'image', 'must not be empty: give an image reference such as "registry:3.1.2"');
  }
  const imageProblem = imageReferenceProblem(image);
  if (imageProblem) throw propError(scope, 'image', `(${JSON.stringify(image)}) ${imageProblem}, such as "registry:3.1.2"`);
}

/**
 * The origin of an external URL (`https://host[:port]`), or an error naming `externalUrl` when it is not an http(s)
 * URL with a host and optional port only.
 */
export function externalOrigin(scope: IConstruct, url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw propError(scope, 'externalUrl', `(${JSON.stringify(url)}) is not a URL: give one such as "https://registry.example.com"`);
  }
  const httpOrigin = (parsed.protocol === 'https:' || parsed.protocol === 'http:') && parsed.pathname === '/'
    && !parsed.search && !parsed.hash && !parsed.username && !parsed.password;
  if (!httpOrigin) {
    throw propError(scope, 'externalUrl', `(${JSON.stringify(url)}) must be an http(s) URL with a host and optional port only, such as "https://registry.example.com"`);
  }
  return `${parsed.protocol}//${parsed.host}`;
}

/** Refuses more than one replica where the storage or a missing `httpSecret` allows only one. */
export function checkReplicas(scope: IConstruct, replicas: number, singleReplicaReason: string | undefined, httpSecret: unknown): void {
  if (replicas > 1 && singleReplicaReason) {
    throw propError(scope, 'replicas', `(${replicas}) must be 1 with this storage: ${singleReplicaReason}. Use object storage or a ReadWriteMany claim for more replicas`);
  }
  if (replicas > 1 && !httpSecret) {
    throw propError(scope, 'httpSecret', `is required with ${replicas} replicas: every replica must sign upload state with the same http.secret, or uploads fail when requests land on another pod. Reference a Secret key holding a long random value`);
  }
}
