import { ApiObject, Chart, JsonPatch } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';

/**
 * Renders the chart's namespace as a Namespace object, as the examples that build their chart by hand need
 * (`RegistryChart` does this itself). A Namespace is cluster-scoped: the chart's namespace, which cdk8s puts on
 * every object, is dropped from it.
 */
export function addNamespace(chart: Chart): kplus.Namespace {
  const namespace = new kplus.Namespace(chart, 'Namespace', { metadata: { name: chart.namespace } });
  ApiObject.of(namespace).addJsonPatch(JsonPatch.remove('/metadata/namespace'));
  return namespace;
}
