import { Construct } from 'constructs';
import type { IRegistry } from './registry';
import { validateObjectNames } from './util/object-names';

/**
 * The base of the library's constructs: what each of them must do is done here, once, rather than in a call each
 * constructor must remember. The names of the objects of its chart are checked against the API server's rules at
 * synth time, and its objects are labelled and named after the registry they belong to.
 */
export abstract class RegistryConstruct extends Construct {
  protected constructor(scope: Construct, id: string) {
    super(scope, id);
    validateObjectNames(this);
  }

  /**
   * The labels of an object of the registry that is not one of its pods: the registry's `app.kubernetes.io/*`
   * labels with the object's own `app.kubernetes.io/component`.
   * @param registry the registry the object belongs to
   * @param component the object's component, such as `ingress` or `autoscaler`
   */
  protected componentLabels(registry: IRegistry, component: string): { [key: string]: string } {
    return { ...registry.labels, 'app.kubernetes.io/component': component };
  }
}
