import { Construct } from 'constructs';
import { IRegistry, WayInKind } from '../registry';
import { RegistryConstruct } from '../registry-construct';
import type { RegistryDeployment } from '../registry-deployment';
import { requireProp } from '../util/validation';

/**
 * The base of the ways into a registry (`ElbTlsService`, `RegistryIngress`, `RegistryRoute`): the protocol every
 * way in follows, written once. A way in names the registry (`registry` is required), is admitted by it before
 * its object is made (same namespace; a public way in to an open registry only when allowed; recorded for a
 * network policy), labels its object with its own component, and tells the registry the URL clients use.
 */
export abstract class RegistryWayInBase extends RegistryConstruct {
  /** The kind of way in, for a network policy that must admit it. */
  public readonly kind: WayInKind;

  protected constructor(scope: Construct, id: string, kind: WayInKind) {
    super(scope, id);
    this.kind = kind;
  }

  /** The registry given in the props: required, with what to give. */
  protected requireRegistry(registry: RegistryDeployment | undefined): RegistryDeployment {
    return requireProp(this, 'registry', registry, 'give the RegistryDeployment to expose');
  }

  /**
   * Asks the registry to admit this way in (`RegistryDeployment.exposeThrough`), before its object is made.
   * @param publicAccess whether the way in is reachable from outside the cluster's network
   */
  protected admit(registry: RegistryDeployment, publicAccess: boolean): void {
    registry.exposeThrough(this, { publicAccess, kind: this.kind });
  }

  /** The metadata of the way in's object: its name, if any, and the registry's labels with the way in's component. */
  protected objectMetadata(registry: IRegistry, name: string | undefined, annotations: { [key: string]: string }): { [key: string]: any } {
    return {
      ...(name !== undefined ? { name } : {}),
      labels: this.componentLabels(registry, this.kind),
      annotations,
    };
  }

  /** Tells the registry the URL its clients use through this way in (`https://HOST`), and returns it. */
  protected publishUrl(registry: RegistryDeployment, host: string): string {
    const url = `https://${host}`;
    registry.useExternalUrl(url);
    return url;
  }
}
