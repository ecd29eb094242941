import * as kplus from 'cdk8s-plus-27';

/**
 * A Deployment that other objects select by its own selector labels rather than by cdk8s-plus's
 * construct-path label (`cdk8s.io/metadata.addr`): Services, anti-affinity terms and network policy peers
 * built from it then keep selecting the same pods when a construct id or chart is renamed.
 *
 * @internal
 */
export class NamedDeployment extends kplus.Deployment {
  public toPodSelectorConfig(): kplus.PodSelectorConfig {
    const config = super.toPodSelectorConfig();
    return { ...config, labelSelector: kplus.LabelSelector.of({ labels: this.matchLabels }) };
  }
}
