import { Duration } from 'cdk8s';
import { RegistryFeature } from '../config/registry-version';
import type { IRegistry } from '../registry';
import { IRegistryPart, RegistryContribution } from '../registry-part';
import { SecretKeyReference } from '../secret-key-reference';
import { CONFIG_ROUTE, CredentialRoute, findCredentialLiterals, refuseCredentials } from '../util/credential-check';
import { goDuration, headerNames, parseEndpoint, propError, requireIntegerInRange, requireOneOf } from '../util/validation';

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
   * Events about these media types are not sent (`ignore.mediatypes`). The registry compares them exactly: blob
   * events (layers and image configs) carry `application/octet-stream`, manifest events the manifest's media type
   * (such as `application/vnd.oci.image.manifest.v1+json`), so a layer's own media type never matches.
   * @default - none
   */
  readonly ignoredMediaTypes?: string[];

  /**
   * Events with these actions are not sent (`ignore.actions`), for example PULL for a scanner that only
   * cares about pushes. Works on every version: before 3.1.0 the registry applies ignored actions only when a
   * media type is ignored too, so there the library adds one that no event carries.
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

  public bind(registry: IRegistry): RegistryContribution {
    if (registry.parts.some((part) => part instanceof Notifications)) {
      throw propError(registry, 'notifications', 'is already given by another Notifications part: a registry has one notifications section. '
        + 'Put every webhook in the endpoints of one Notifications part');
    }
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
        { path: true, query: true, credentials: 'send it as a header with secretHeaders' });
      if (e.threshold !== undefined) requireIntegerInRange(registry, `${where}.threshold`, e.threshold, 1, 1000);
      const headers: { [name: string]: string[] } = {};
      const claim = headerNames(registry);
      for (const [name, value] of Object.entries(e.headers ?? {})) {
        claim(`${where}.headers`, name);
        checkHeaderValue(registry, `${where}.headers`, name, value);
        refuseCredentials(registry, `${where}.headers`, findCredentialLiterals({ [name]: value }, () => false), HEADER_ROUTE);
        headers[name] = [value];
      }
      for (const name of Object.keys(e.secretHeaders ?? {}).sort()) {
        claim(`${where}.secretHeaders`, name);
        const ref = e.secretHeaders![name];
        headers[name] = [registry.secretValue(ref.secret, ref.key, `${where}.secretHeaders.${name}.key`)];
      }
      (e.ignoredMediaTypes ?? []).forEach((mediaType, j) => checkIgnoredMediaType(registry, `${where}.ignoredMediaTypes[${j}]`, mediaType));
      (e.ignoredActions ?? []).forEach((action, j) => requireOneOf(registry, `${where}.ignoredActions[${j}]`, action, Object.values(NotificationAction)));
      let ignoreMediaTypes = e.ignoredMediaTypes && e.ignoredMediaTypes.length > 0 ? [...new Set(e.ignoredMediaTypes)] : undefined;
      const ignoreActions = e.ignoredActions && e.ignoredActions.length > 0 ? [...new Set(e.ignoredActions)] : undefined;
      if (ignoreActions && !ignoreMediaTypes && !registry.version.supports(RegistryFeature.NOTIFICATIONS_IGNORE_ACTIONS_ALONE)) {
        // Before 3.1.0 the registry's ignore filter is only set up when a media type is ignored (notifications/sinks.go
        // newIgnoredSink returns early on `len(ignored) == 0`), so actions alone would be sent anyway.
        ignoreMediaTypes = [INERT_MEDIA_TYPE];
      }
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

/**
 * A media type no event carries, ignored so that registries before 3.1.0 apply `ignore.actions` (their filter is set
 * up only when a media type is ignored).
 */
export const INERT_MEDIA_TYPE = 'application/vnd.cdk8s-registry.no-event';

/** Plain notification headers: what to use for a credential instead. */
const HEADER_ROUTE: CredentialRoute = { lands: CONFIG_ROUTE.lands, advice: 'send it with secretHeaders (the Secret key holds the whole value)' };

/** Refuses a header value the registry's HTTP client cannot send (Go refuses control characters: every delivery fails). */
function checkHeaderValue(registry: IRegistry, property: string, name: string, value: string): void {
  if (typeof value !== 'string') {
    throw propError(registry, property, `value of '${name}' must be a string, not ${JSON.stringify(value)}`);
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0008\u000a-\u001f\u007f]/.test(value)) {
    throw propError(registry, property, `value of '${name}' (${JSON.stringify(value)}) contains a line break or control character: `
      + 'the registry\'s HTTP client refuses to send such a header, so no event would be delivered. Give the value on one line');
  }
}

/** A media type (`type/subtype`) as the registry writes it into events: lower case, no parameters. */
const MEDIA_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*$/;

/** Media types of blobs: their events carry application/octet-stream instead. */
const BLOB_MEDIA_TYPE = /(\.layer\.|rootfs\.diff|\.config\.v1\+json$|container\.image\.v1\+json$|\.empty\.v1\+json$)/;

/** Refuses an ignored media type that no event can carry (the registry compares exactly). */
function checkIgnoredMediaType(registry: IRegistry, property: string, mediaType: string): void {
  const never = 'no event carries it, and the registry compares media types exactly';
  const hint = 'blob events (layers and image configs) carry application/octet-stream, manifest events the manifest\'s media type, '
    + 'such as application/vnd.oci.image.manifest.v1+json or application/vnd.docker.distribution.manifest.v2+json';
  if (typeof mediaType !== 'string' || !MEDIA_TYPE.test(mediaType)) {
    throw propError(registry, property, `(${JSON.stringify(mediaType)}) never matches: ${never} (lower case type/subtype, no parameters or wildcards). `
      + `Events carry: ${hint}`);
  }
  if (BLOB_MEDIA_TYPE.test(mediaType)) {
    throw propError(registry, property, `(${JSON.stringify(mediaType)}) never matches: it is a blob's media type, and ${hint}. `
      + 'To ignore layer and config events, give application/octet-stream');
  }
}
