import * as kplus from 'cdk8s-plus-27';

/**
 * A Deployment that other objects select by labels that name the registry's pods: its own selector labels
 * (not cdk8s-plus's construct-path label `cdk8s.io/metadata.addr` when it has a name) plus
 * `app.kubernetes.io/component`. Services, anti-affinity terms and network policy peers built from it then keep
 * selecting the same pods when a construct id or chart is renamed, and never pick the pods of another part of the
 * registry (a job's pods share its name and instance labels until they are relabelled).
 *
 * @internal
 */
export class NamedDeployment extends kplus.Deployment {
  /** Labels every selector of the pods adds to the Deployment's own selector (which cannot change once applied). */
  public podSelectorExtraLabels: { [key: string]: string } = {};

  /** The labels that pick exactly this Deployment's pods. */
  public get podSelectorLabels(): { [key: string]: string } {
    return { ...this.matchLabels, ...this.podSelectorExtraLabels };
  }

  public toPodSelectorConfig(): kplus.PodSelectorConfig {
    const config = super.toPodSelectorConfig();
    return { ...config, labelSelector: kplus.LabelSelector.of({ labels: this.podSelectorLabels }) };
  }
}
