import { Duration } from 'cdk8s';
import type { RegistryDeployment } from '../registry-deployment';
import { IRegistryPart, RegistryContribution } from '../registry-part';
import { SecretKeyReference } from '../secret-key-reference';
import { goDuration, headerNames, parseEndpoint, propError, requireIntegerInRange } from '../util/validation';

/**
 * An action a registry event reports.
 */
export enum NotificationAction {
  /** A manifest or blob was pushed. */
  PUSH = 'push',
  /** A manifest or blob was pulled. */
  PULL = 'pull',
  /** A blob was mounted from another repository. */
  MOUNT = 'mount',
  /** A manifest, tag or blob was deleted. */
  DELETE = 'delete',
}

/**
 * One webhook the registry posts its events to (`notifications.endpoints[]`).
 */
export interface NotificationEndpointOptions {
  /** Name of the endpoint, unique within the registry (it appears in the registry's logs and metrics). */
  readonly name: string;

  /** The URL events are POSTed to (http or https). */
  readonly url: string;

  /**
   * Headers sent with every request, as plain values. Never a credential: see `secretHeaders`.
   * @default - none
   */
  readonly headers?: { [name: string]: string };

  /**
   * Headers whose values are read from Secrets, such as `Authorization` (store the whole value, for example
   * `Bearer abc...`). They reach config.yml through `secretValue`, on every version.
   * @default - none
   */
  readonly secretHeaders?: { [name: string]: SecretKeyReference };

  /**
   * Timeout of one request.
   * @default Duration.seconds(1) - the registry's default
   */
  readonly timeout?: Duration;

  /**
   * Failures in a row before the registry backs off.
   * @default 10 - the registry's default
   */
  readonly threshold?: number;

  /**
   * How long to back off after `threshold` failures.
   * @default Duration.seconds(1) - the registry's default
   */
  readonly backoff?: Duration;

  /**
   * Events about these media types are not sent (`ignore.mediatypes`), for example
   * `application/octet-stream` for layer events.
   * @default - none
   */
  readonly ignoredMediaTypes?: string[];

  /**
   * Events with these actions are not sent (`ignore.actions`), for example PULL for a scanner that only
   * cares about pushes.
   * @default - none
   */
  readonly ignoredActions?: NotificationAction[];
}

/**
 * Properties of `Notifications`.
 */
export interface NotificationsProps {
  /** The webhooks. */
  readonly endpoints: NotificationEndpointOptions[];

  /**
   * Add the references of an index or manifest to its events (`events.includereferences`).
   * @default false
   */
  readonly includeReferences?: boolean;
}

/**
 * Registry events (push, pull, mount, delete) sent to webhooks, for scanners, audit and replication.
 * Header values such as an Authorization token come from Secrets and work on 2.8 too, where a list
 * item cannot be set through a `REGISTRY_*` variable.
 */
export class Notifications implements IRegistryPart {
  public constructor(private readonly props: NotificationsProps) {
  }

  public bind(registry: RegistryDeployment): RegistryContribution {
    const endpoints = this.props.endpoints ?? [];
    if (endpoints.length === 0) {
      throw propError(registry, 'notifications.endpoints', 'must list at least one endpoint');
    }
    const names = new Set<string>();
    const rendered = endpoints.map((e, i) => {
      const where = `notifications.endpoints[${i}]`;
      if (!e.name || /\s/.test(e.name)) {
        throw propError(registry, `${where}.name`, `(${JSON.stringify(e.name)}) must be a non-empty name without spaces`);
      }
      if (names.has(e.name)) {
        throw propError(registry, `${where}.name`, `('${e.name}') is used by another endpoint: names must be unique`);
      }
      names.add(e.name);
      parseEndpoint(registry, `${where}.url`, e.url, 'https://scanner.example.com/events',
        { path: true, query: true, credentials: 'send an Authorization header from a Secret with secretHeaders' });
      if (e.threshold !== undefined) requireIntegerInRange(registry, `${where}.threshold`, e.threshold, 1, 1000);
      const headers: { [name: string]: string[] } = {};
      const claim = headerNames(registry);
      for (const [name, value] of Object.entries(e.headers ?? {})) {
        claim(`${where}.headers`, name);
        headers[name] = [value];
      }
      for (const name of Object.keys(e.secretHeaders ?? {}).sort()) {
        claim(`${where}.secretHeaders`, name);
        const ref = e.secretHeaders![name];
        headers[name] = [registry._secretValue(`${where}.secretHeaders.${name}.key`, ref)];
      }
      const ignoreMediaTypes = e.ignoredMediaTypes && e.ignoredMediaTypes.length > 0 ? [...e.ignoredMediaTypes] : undefined;
      const ignoreActions = e.ignoredActions && e.ignoredActions.length > 0 ? [...new Set(e.ignoredActions)] : undefined;
      return {
        name: e.name,
        url: e.url,
        headers: Object.keys(headers).length > 0 ? headers : undefined,
        timeout: e.timeout ? goDuration(registry, `${where}.timeout`, e.timeout, 1) : undefined,
        threshold: e.threshold,
        backoff: e.backoff ? goDuration(registry, `${where}.backoff`, e.backoff, 1) : undefined,
        ignore: ignoreMediaTypes || ignoreActions ? { mediatypes: ignoreMediaTypes, actions: ignoreActions } : undefined,
      };
    });
    return {
      name: 'notifications',
      config: {
        notifications: {
          events: this.props.includeReferences ? { includereferences: true } : undefined,
          // Keys left undefined are dropped by the config merge, which copies the fragment.
          endpoints: rendered,
        },
      },
    };
  }
}
