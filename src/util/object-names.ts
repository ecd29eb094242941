import { ApiObject, ApiObjectProps, Chart, Names } from 'cdk8s';
import { Construct, IConstruct } from 'constructs';
import { dns1123LabelProblem, isDns1035Label, isDns1123Label, isDns1123Subdomain, propError } from './validation';

/** Kinds whose objects belong to no namespace: one name in the whole cluster. */
const CLUSTER_SCOPED_KINDS = new Set([
  'Namespace', 'ClusterRole', 'ClusterRoleBinding', 'PersistentVolume', 'StorageClass', 'PriorityClass', 'IngressClass',
  'CustomResourceDefinition', 'ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration',
  'ImageDigestMirrorSet', 'ImageTagMirrorSet',
]);

/** The namespace objects created in the chart of `scope` land in, as text ('' when kubectl's default). */
function namespaceOf(scope: IConstruct): string {
  return Chart.of(scope).namespace ?? '';
}

/** How a namespace reads in a message. */
function describeNamespace(namespace: string): string {
  return namespace === '' ? 'the kubectl default namespace (no namespace set)' : `namespace "${namespace}"`;
}

/** Names claimed with `claimName`, per App (the root construct). */
const claimedNames = new WeakMap<IConstruct, Map<string, IConstruct>>();

/**
 * Claims `name` for `scope` among the constructs of one sort (`what`) in its namespace, across every chart of the
 * App. Returns the construct that claimed it before, if any, so the caller can refuse the name at once: two charts
 * in one namespace would otherwise render objects that overwrite each other when applied together.
 */
export function claimName(scope: IConstruct, what: string, name: string): { readonly twin: IConstruct; readonly where: string } | undefined {
  const root = scope.node.root;
  let claims = claimedNames.get(root);
  if (!claims) {
    claims = new Map();
    claimedNames.set(root, claims);
  }
  const namespace = namespaceOf(scope);
  const key = JSON.stringify([what, namespace, name]);
  const twin = claims.get(key);
  if (twin !== undefined && twin !== scope && isAttached(twin)) {
    return { twin, where: Chart.of(twin) === Chart.of(scope) ? 'this chart' : describeNamespace(namespace) };
  }
  claims.set(key, scope);
  return undefined;
}

/** False once `c` was removed from its scope (`tryRemoveChild`). */
function isAttached(c: IConstruct): boolean {
  return c.node.scope === undefined || c.node.scope.node.tryFindChild(c.node.id) === c;
}

/** The longest CronJob name the API server takes: its Jobs add an 11-character suffix and must stay within 63. */
export const MAX_CRON_JOB_NAME = 52;

/** The rule the API server applies to `metadata.name` of a kind, as the kind's validation in Kubernetes has it. */
function nameRule(kind: string): { valid: (name: string) => boolean; says: string } {
  switch (kind) {
    case 'Service':
      return { valid: isDns1035Label, says: 'a DNS-1035 label: lower-case letters, digits and \'-\', starting with a letter, at most 63 characters' };
    case 'Namespace':
      return { valid: isDns1123Label, says: 'a DNS-1123 label: lower-case letters, digits and \'-\', at most 63 characters' };
    case 'CronJob':
      return {
        valid: (name) => name.length <= MAX_CRON_JOB_NAME && isDns1123Subdomain(name),
        says: `lower-case letters, digits, '-' and '.', at most ${MAX_CRON_JOB_NAME} characters (its Jobs add 11)`,
      };
    default:
      return { valid: isDns1123Subdomain, says: 'a DNS-1123 subdomain: lower-case letters, digits, \'-\' and \'.\', at most 253 characters' };
  }
}

/** Charts whose object names are checked already. */
const checkedCharts = new WeakSet<Chart>();

/**
 * The objects of the checked charts by identity (group, kind, namespace, name), per App. Each chart's check adds
 * its objects and compares them with those added before, so the check stays linear in the objects of the chart
 * although cdk8s validates the whole App once per chart.
 */
const renderedObjects = new WeakMap<IConstruct, Map<string, ApiObject>>();

/**
 * Checks, at synth time, the name of every object in the chart of `scope` against the API server's rules (once
 * per chart). cdk8s derives names from construct ids and keeps characters such as '_' that no Kubernetes name may
 * hold, so an id like `My_Registry` would otherwise synthesize YAML that `kubectl apply` refuses object by object.
 * Also refuses two objects of one kind and name in one namespace, in this chart or in another checked chart of
 * the App: applied together, one would overwrite the other.
 */
export function validateObjectNames(scope: IConstruct): void {
  const chart = Chart.of(scope);
  if (checkedCharts.has(chart)) return;
  checkedCharts.add(chart);
  chart.node.addValidation({
    validate: () => {
      const objects = chart.node.findAll()
        .filter((c): c is ApiObject => c instanceof ApiObject);
      const problems = objects
        .map((object) => nameProblem(object))
        .filter((problem): problem is string => problem !== undefined);
      // One message: the others have the same cause and the same fix.
      const nameProblems = problems.length <= 1 ? problems : [`${problems[0]} (and ${problems.length - 1} more objects of this chart)`];
      return [...namespaceProblem(chart), ...nameProblems, ...collisions(chart, objects)];
    },
  });
}

/** The objects of `objects` whose kind, namespace and name an earlier object of the App has too, as messages. */
function collisions(chart: Chart, objects: ApiObject[]): string[] {
  const root = chart.node.root;
  let rendered = renderedObjects.get(root);
  if (!rendered) {
    rendered = new Map();
    renderedObjects.set(root, rendered);
  }
  const problems: string[] = [];
  for (const object of objects) {
    const clusterScoped = CLUSTER_SCOPED_KINDS.has(object.kind);
    const namespace = clusterScoped ? '' : object.metadata.namespace ?? '';
    const group = object.apiVersion.includes('/') ? object.apiVersion.split('/')[0] : '';
    const key = JSON.stringify([group, object.kind, namespace, object.name]);
    const twin = rendered.get(key);
    if (twin !== undefined && twin !== object && isAttached(twin)) {
      problems.push(collisionProblem(object, twin, clusterScoped ? undefined : namespace));
    } else {
      rendered.set(key, object);
    }
  }
  return problems;
}

function collisionProblem(object: ApiObject, twin: ApiObject, namespace: string | undefined): string {
  const what = `the ${object.kind} ${JSON.stringify(object.name)}`;
  if (namespace === undefined) {
    // A cluster-scoped object such as the Namespace: one chart must own it, or deleting either deletes it for both.
    return `${ownerPath(object)}: ${what} is also rendered by ${ownerPath(twin)}, and it has no namespace: kubectl would apply it twice, `
      + `and deleting either chart would delete it for both. Render it in one chart only${object.kind === 'Namespace' ? ' (RegistryChart: \'createNamespace\': false in the others)' : ''}`;
  }
  return `${ownerPath(object)}: ${what} in ${describeNamespace(namespace)} is also rendered by ${ownerPath(twin)}: applied together, one would overwrite the other. `
    + 'Give one of them another \'name\' (the prop of the construct that creates it), or put the charts in different namespaces';
}

/**
 * The path of the construct that created `object`: cdk8s-plus objects are the `Resource` child of theirs, and
 * constructs that wrap a single cdk8s-plus object call it `Resource` too.
 */
function ownerPath(object: ApiObject): string {
  let owner: IConstruct = object;
  while (owner.node.id === 'Resource' && owner.node.scope !== undefined) owner = owner.node.scope;
  return owner.node.path;
}

/** The chart's namespace, when the API server would refuse it (every namespaced object of the chart carries it). */
function namespaceProblem(chart: Chart): string[] {
  const namespace = chart.namespace;
  const problem = namespace !== undefined ? dns1123LabelProblem(namespace) : undefined;
  return problem ? [propError(chart, 'namespace', problem).message] : [];
}

function nameProblem(object: ApiObject): string | undefined {
  const name = object.name;
  const rule = nameRule(object.kind);
  if (rule.valid(name)) return undefined;
  return `${ownerPath(object)}: the ${object.kind} would be named ${JSON.stringify(name)}, which is not ${rule.says}. `
    + 'cdk8s builds names from the construct ids along the path: use ids of letters, digits and \'-\' (no \'_\'), '
    + 'or name the object (a RegistryDeployment\'s \'name\' names all of its objects)';
}

/**
 * Creates a CronJob whose generated name the API server takes. cdk8s generates names of up to 63 characters; when
 * that is too long for a CronJob, the object is created again with the same name shortened (same words, same hash),
 * so `name` stays true and names that already fit do not change.
 */
export function newCronJob(scope: Construct, id: string, props: ApiObjectProps): ApiObject {
  const cronJob = new ApiObject(scope, id, props);
  if (props.metadata?.name !== undefined || cronJob.name.length <= MAX_CRON_JOB_NAME) {
    return cronJob;
  }
  const fitted = Names.toDnsLabel(cronJob, { maxLen: MAX_CRON_JOB_NAME });
  scope.node.tryRemoveChild(id);
  return new ApiObject(scope, id, { ...props, metadata: { ...props.metadata, name: fitted } });
}
