import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { RegistryVersion } from '../config/registry-version';
import { RegistryMount } from '../registry-mount';

/**
 * What an auth method is told when it is bound to a registry.
 */
export interface AuthBindContext {
  /** The registry release that will run, which decides the config keys to render. */
  readonly version: RegistryVersion;

  /**
   * The registry's base name, when the user gave one: objects the auth method creates are named from it (and
   * nothing it renders depends on construct ids or charts), so that renaming them changes nothing.
   * @default - no name: objects are named by cdk8s from the construct path
   */
  readonly name?: string;

  /**
   * The `app.kubernetes.io/*` labels of the registry's objects: an object the auth method creates carries them,
   * with its own `app.kubernetes.io/component`.
   * @default - no labels
   */
  readonly labels?: { [key: string]: string };
}

/**
 * What an auth method contributes to the registry.
 */
export interface AuthBinding {
  /**
   * The auth method's key under `auth:` in config.yml (`htpasswd`, `token`).
   * @default - no auth section: anyone who reaches the registry can push and pull
   */
  readonly method?: string;

  /**
   * The method's parameters, rendered under `auth.<method>`. Never a credential.
   * @default - none
   */
  readonly parameters?: { [key: string]: any };

  /**
   * Environment variables of the registry container.
   * @default - none
   */
  readonly env?: { [name: string]: kplus.EnvValue };

  /**
   * Volumes the registry container mounts (an htpasswd file, a certificate bundle).
   * @default - none
   */
  readonly mounts?: RegistryMount[];

  /**
   * Annotations of the registry's pod template, such as a checksum of a Secret the method
   * creates, so that changing it rolls the pods.
   * @default - none
   */
  readonly podAnnotations?: { [name: string]: string };

  /**
   * Without a `method` anyone who reaches the registry may push, overwrite and delete images, and ways in that
   * make it reachable from outside the cluster refuse it. This is the user's acknowledgement that the open
   * registry may be exposed publicly (`RegistryAuth.none({ allowPublicAccess: true })`).
   * @default false
   */
  readonly publicAccessAllowed?: boolean;
}

/**
 * Options of `RegistryAuth.none()`.
 */
export interface NoAuthOptions {
  /**
   * Acknowledge that this open registry may be reached through a public way in (a LoadBalancer that is not
   * internal, an Ingress, a Route): anyone on the internet can then push, overwrite and, with the delete API,
   * delete images. Without it such ways in are a synth-time error.
   * @default false - an open registry stays inside the cluster (or behind an internal load balancer)
   */
  readonly allowPublicAccess?: boolean;
}

/**
 * An auth method: what `RegistryDeploymentProps.auth` takes. `HtpasswdAuth`, `TokenAuth` and
 * `RegistryAuth.none()` are the library's; implement it (or extend `RegistryAuth`) for another.
 */
export interface IRegistryAuth {
  /**
   * Renders the auth method for a registry. Called once per registry, at construction.
   * @param scope the registry construct; objects the method creates (a Secret) go under it
   */
  bind(scope: Construct, context: AuthBindContext): AuthBinding;
}

/**
 * How the registry authenticates clients. A registry must be given one: running without
 * authentication is the explicit choice `RegistryAuth.none()`. The methods themselves are
 * `HtpasswdAuth` and `TokenAuth`, which do not inherit `none()`.
 */
export abstract class RegistryAuth implements IRegistryAuth {
  /**
   * No authentication: anyone who can reach the registry can push, overwrite and delete images.
   * Only for registries reachable from trusted networks, or behind a proxy that authenticates: a public way
   * in (LoadBalancer, Ingress, Route) to an open registry needs `allowPublicAccess: true`.
   */
  public static none(options: NoAuthOptions = {}): RegistryAuth {
    return new NoAuth(options);
  }

  protected constructor() {
  }

  /**
   * Renders the auth method for a registry. Called once per registry, at construction.
   * @param scope the registry construct; objects the method creates (a Secret) go under it
   */
  public abstract bind(scope: Construct, context: AuthBindContext): AuthBinding;
}

class NoAuth extends RegistryAuth {
  public constructor(private readonly options: NoAuthOptions) {
    super();
  }

  public bind(_scope: Construct, _context: AuthBindContext): AuthBinding {
    return { publicAccessAllowed: this.options.allowPublicAccess === true };
  }
}
