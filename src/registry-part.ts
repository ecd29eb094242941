import * as kplus from 'cdk8s-plus-27';
import { IConstruct } from 'constructs';
import type { IRegistry } from './registry';
import { RegistryMount } from './registry-mount';

/**
 * What a part adds to a registry: a fragment of config.yml, environment variables, volumes and pod
 * annotations. The one shape of every contribution: the registry turns its storage backend, auth method, TLS,
 * metrics and tracing into it too, and applies all of them in one loop with one set of rules (a config key or a
 * variable comes from one place; no credential as a literal). Day-2 features (redis, notifications, a
 * pull-through cache, tracing) are parts.
 */
export interface RegistryContribution {
  /**
   * Short name of the part, used in error messages (for example `redis` or `notifications`).
   */
  readonly name: string;

  /**
   * A fragment of config.yml, with the registry's own lower-case keys (`{ redis: { addrs: [...] } }`),
   * deep-merged into the rendered config. Setting a key that the registry's props or another part
   * already set to a different value is an error naming the key's path and both sources. A credential is
   * never written here as a literal: put `registry.secretValue(...)` where it belongs instead.
   * @default - no config
   */
  readonly config?: { [key: string]: any };

  /**
   * Environment variables of the registry container; secret ones as Secret references. Listed by name, except that
   * a variable another one references as `$(NAME)` comes before it (the kubelet expands only earlier ones).
   * @default - none
   */
  readonly env?: { [name: string]: kplus.EnvValue };

  /**
   * Volumes the registry container mounts.
   * @default - none
   */
  readonly mounts?: RegistryMount[];

  /**
   * Annotations of the registry's pod template.
   * @default - none
   */
  readonly podAnnotations?: { [name: string]: string };

  /**
   * What the part changes about exposing an open registry (`RegistryAuth.none()`) through a public way in: a
   * pull-through cache refuses every push, so the push refusal does not apply, but it may carry a risk of its own.
   * @default - nothing changes: an open registry behind a public way in takes anyone's pushes
   */
  readonly publicExposure?: PartPublicExposure;
}

/**
 * What a part changes about exposing an open registry publicly (`RegistryContribution.publicExposure`).
 */
export interface PartPublicExposure {
  /** Whether the part makes the registry refuse every push and delete from clients (a pull-through cache). */
  readonly refusesPushes: boolean;

  /**
   * What anyone who reaches the open registry could do through the part, for the error that refuses a public way
   * in without an acknowledgement (`anyone who reaches it pulls through your upstream credentials ...`).
   * @default - no risk beyond reading what the registry serves
   */
  readonly risk?: string;

  /**
   * Whether the user acknowledged `risk`.
   * @default false
   */
  readonly riskAcknowledged?: boolean;

  /**
   * How to acknowledge `risk`, for the error message (`allowPublicPullThrough: true on the PullThroughCache`).
   * @default - no acknowledgement is offered
   */
  readonly acknowledgeWith?: string;
}

/**
 * A feature that plugs into a `RegistryDeployment` (`registry.addPart(part)`): it is bound once and returns
 * what it contributes. Implement it to add a feature without touching the core.
 */
export interface IRegistryPart {
  /**
   * Renders the part for one registry. Called once, by `RegistryDeployment.addPart`.
   * @param registry the registry, through the narrow seam every part uses (a `RegistryDeployment`): its `version`
   * for version-specific keys, `secretValue()` for credentials, `configValue()` and its typed facts for what it
   * already has; make any objects of the part (a Secret, a Job) children of it
   */
  bind(registry: IRegistry): RegistryContribution;

  /**
   * What the bound part needs done after a garbage collection deleted blobs, before the registry takes writes
   * again (a cache it configured may still describe blobs that are gone). Asked by `GarbageCollection`.
   * @default - nothing to do after a collection
   */
  afterCollection?(context: AfterCollectionContext): AfterCollectionSteps;
}

/**
 * What a part's after-collection steps are built from (see `IRegistryPart.afterCollection`).
 */
export interface AfterCollectionContext {
  /** The garbage collection asking, whose path errors name. */
  readonly collection: IConstruct;
  /** The registry container, rendered from the pod's model (not its JSON patches): steps run with its security context. */
  readonly registryContainer: { [key: string]: any };
  /** The image providing `redis-cli` (the collection's `redisImage`). */
  readonly redisImage: string;
}

/**
 * A part's steps after garbage collection.
 */
export interface AfterCollectionSteps {
  /** Containers of the job's pod that run after the collector, in order (rendered pod spec JSON). */
  readonly containers: { [key: string]: any }[];
  /** Why the part's state cannot be made fresh after a collection: synth-time errors of the collection. */
  readonly problems: string[];
}
