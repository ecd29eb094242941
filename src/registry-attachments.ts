import { Chart } from 'cdk8s';
import { IConstruct } from 'constructs';
import type { AuthBinding } from './auth/registry-auth';
import { ExposeOptions, RegistryAutoscaling, RegistryWayIn } from './registry';
import type { RegistryDeploymentProps } from './registry-deployment-props';
import type { PartPublicExposure } from './registry-part';
import { propError } from './util/validation';

/**
 * What attaches to the registry from outside and must be one of its kind, or admitted: the disruption budget, the
 * autoscaler and the ways in. The core holds one and delegates its `use...` and `exposeThrough` methods to it.
 */
export class RegistryAttachments {
  /** The disruption budget, if any. */
  public budget?: IConstruct;
  /** The autoscaler, if any. */
  public scaling?: RegistryAutoscaling;
  /** The ways in, in order. */
  public readonly waysIn: RegistryWayIn[] = [];

  /** Public ways in to the open registry without the registry's own consent, decided at synth (parts may follow). */
  private readonly openPublicWaysIn: IConstruct[] = [];

  /** What the parts said about public exposure (`RegistryContribution.publicExposure`), in order. */
  private readonly exposures: { readonly part: string; readonly exposure: PartPublicExposure }[] = [];

  private readonly context: {
    readonly registry: IConstruct;
    readonly defaultBudgetId: string;
    readonly budgetRequested: boolean;
    readonly openWithoutConsent: boolean;
    readonly deleteEnabled: boolean;
  };

  /**
   * @param registry the registry
   * @param defaultBudgetId construct id of the disruption budget the registry adds by itself
   * @param props the registry's props (`disruptionBudget`: the own budget gives way only when not asked for)
   * @param auth the registry's auth (a public way in to an open registry needs consent)
   */
  public constructor(registry: IConstruct, defaultBudgetId: string, props: RegistryDeploymentProps, auth: AuthBinding) {
    this.context = {
      registry,
      defaultBudgetId,
      budgetRequested: props.disruptionBudget !== undefined,
      openWithoutConsent: !auth.method && !auth.publicAccessAllowed,
      deleteEnabled: !!props.storageOptions?.deleteEnabled,
    };
    registry.node.addValidation({ validate: () => this.exposureProblems() });
  }

  /** Records what a part changes about public exposure of the open registry (its `publicExposure`). */
  public addPartExposure(part: string, exposure: PartPublicExposure): void {
    this.exposures.push({ part, exposure });
  }

  /** See `RegistryDeployment.useDisruptionBudget`. */
  public useDisruptionBudget(budget: IConstruct): void {
    const registry = this.context.registry;
    const current = this.budget;
    if (current !== undefined && current !== budget) {
      const ownDefault = current.node.scope === registry && current.node.id === this.context.defaultBudgetId;
      if (ownDefault && !this.context.budgetRequested) {
        registry.node.tryRemoveChild(this.context.defaultBudgetId);
      } else {
        const fix = ownDefault
          ? 'set \'disruptionBudget: false\' on the registry to use this budget, or drop this one'
          : `keep one of them (drop ${budget.node.path}, or ${current.node.path})`;
        throw propError(budget, 'registry', `(${registry.node.path}) already has a PodDisruptionBudget (${current.node.path}): Kubernetes refuses every `
          + `eviction of a pod that two budgets select, so node drains and cluster upgrades would block. Give one budget per registry: ${fix}`);
      }
    }
    this.budget = budget;
  }

  /** See `RegistryDeployment.useAutoscaler`. */
  public useAutoscaler(autoscaler: IConstruct, minReplicas: number): void {
    if (this.scaling) {
      throw propError(autoscaler, 'registry', `(${this.context.registry.node.path}) is already scaled by ${this.scaling.construct.node.path}: `
        + 'two HorizontalPodAutoscalers of one Deployment fight over its replica count. Keep one');
    }
    this.scaling = { construct: autoscaler, minReplicas };
  }

  /** See `RegistryDeployment.exposeThrough`. */
  public exposeThrough(wayIn: IConstruct, options: ExposeOptions): void {
    const registry = this.context.registry;
    const here = Chart.of(registry).namespace;
    const there = Chart.of(wayIn).namespace;
    if (here !== there) {
      throw propError(wayIn, 'registry', `(${registry.node.path}) is in namespace ${here ?? '(none: the kubectl default)'}, but this way in is in `
        + `${there ?? '(none: the kubectl default)'}: a Service, Ingress or Route only reaches pods of its own namespace. Create the way in in the registry's chart`);
    }
    // Decided at synth: a part added after the way in (a PullThroughCache) changes what the exposure risks.
    if (options.publicAccess && this.context.openWithoutConsent) this.openPublicWaysIn.push(wayIn);
    this.waysIn.push({ construct: wayIn, kind: options.kind });
  }

  /**
   * Public ways in to the open registry (no auth, no `allowPublicAccess`), each refused with the true risk: anyone's
   * pushes for a registry that takes them; for one whose parts refuse every push (a pull-through cache), only a risk
   * a part names and the user did not acknowledge (the cache's upstream credentials).
   */
  private exposureProblems(): string[] {
    const registry = this.context.registry;
    const readOnly = this.exposures.some((e) => e.exposure.refusesPushes);
    const problems: string[] = [];
    for (const wayIn of this.openPublicWaysIn) {
      if (!readOnly) {
        const deletes = this.context.deleteEnabled ? ', overwrite and delete' : ' and overwrite';
        problems.push(propError(wayIn, 'registry', `(${registry.node.path}) has no authentication (RegistryAuth.none()): through this public way in anyone could push${deletes} `
          + 'images. Give the registry an auth method (HtpasswdAuth, TokenAuth), or acknowledge it with RegistryAuth.none({ allowPublicAccess: true })').message);
        continue;
      }
      for (const { part, exposure } of this.exposures) {
        if (exposure.risk === undefined || exposure.riskAcknowledged) continue;
        problems.push(propError(wayIn, 'registry', `(${registry.node.path}) has no authentication (RegistryAuth.none()) and its ${part} refuses every push, but through this `
          + `public way in ${exposure.risk}. Acknowledge it with ${exposure.acknowledgeWith ?? 'RegistryAuth.none({ allowPublicAccess: true })'}, `
          + 'give the registry an auth method (HtpasswdAuth, TokenAuth), or make the way in private').message);
      }
    }
    return problems;
  }
}
