import { ApiObject, ApiObjectProps, Chart, Names } from 'cdk8s';
import { Construct, IConstruct } from 'constructs';
import { isDns1035Label, isDns1123Label, isDns1123Subdomain } from './validation';

/** The longest CronJob name the API server takes: its Jobs add an 11-character suffix and must stay within 63. */
const MAX_CRON_JOB_NAME = 52;

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
 * Checks, at synth time, the name of every object in the chart of `scope` against the API server's rules (once
 * per chart). cdk8s derives names from construct ids and keeps characters such as '_' that no Kubernetes name may
 * hold, so an id like `My_Registry` would otherwise synthesize YAML that `kubectl apply` refuses object by object.
 */
export function validateObjectNames(scope: IConstruct): void {
  const chart = Chart.of(scope);
  if (checkedCharts.has(chart)) return;
  checkedCharts.add(chart);
  chart.node.addValidation({
    validate: () => {
      const problems = chart.node.findAll()
        .filter((c): c is ApiObject => c instanceof ApiObject)
        .map((object) => nameProblem(object))
        .filter((problem): problem is string => problem !== undefined);
      // One message: the others have the same cause and the same fix.
      return problems.length <= 1 ? problems : [`${problems[0]} (and ${problems.length - 1} more objects of this chart)`];
    },
  });
}

function nameProblem(object: ApiObject): string | undefined {
  const name = object.name;
  const rule = nameRule(object.kind);
  if (rule.valid(name)) return undefined;
  // cdk8s-plus objects are the `Resource` child of the construct the user created.
  const path = object.node.id === 'Resource' ? object.node.scope!.node.path : object.node.path;
  return `${path}: the ${object.kind} would be named ${JSON.stringify(name)}, which is not ${rule.says}. `
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
