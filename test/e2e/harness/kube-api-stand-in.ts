/**
 * A loopback stand-in for the few Kubernetes API calls the garbage-collection job's `kubectl` steps make, so the
 * real `kubectl` runs each rendered step and every request it sends is recorded and checked against the job's Role
 * the way RBAC authorizes it. It serves discovery for pods, configmaps and deployments, an OpenAPI v3 document that
 * declares what a real API server declares for a ConfigMap PATCH (the `fieldValidation` parameter, so kubectl's strict
 * validation is done by the server as in a cluster), and keeps a few objects: the registry's pods, its Deployment,
 * ConfigMaps. It is not an API server: no admission, no controllers (a deleted pod is gone at once, nothing replaces
 * it), deleted pods terminate for `podTerminationMs`, and a watch reports deletions only).
 */
import * as http from 'http';
import { AddressInfo } from 'net';
import { onCleanup } from './cleanup';

type Obj = { [key: string]: any };

/** One request as RBAC sees it. */
export interface ApiRequest {
  readonly method: string;
  readonly path: string;
  /** The RBAC verb (get, list, watch, create, patch, update, delete, deletecollection); undefined for non-resource URLs. */
  readonly verb?: string;
  readonly apiGroup?: string;
  readonly resource?: string;
  /** The object's name: from the path, or from a `metadata.name` field selector of a list or watch. */
  readonly name?: string;
  readonly query: { [key: string]: string };
  readonly body: string;
}

const RESOURCES: { [resource: string]: { group: string; kind: string } } = {
  pods: { group: '', kind: 'Pod' },
  configmaps: { group: '', kind: 'ConfigMap' },
  deployments: { group: 'apps', kind: 'Deployment' },
};

const VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

/** The stand-in server. Objects are keyed `resource/name` in one namespace. */
export class KubeApiStandIn {
  /** Starts the stand-in on 127.0.0.1 at a free port, serving one namespace. */
  public static async start(namespace: string): Promise<KubeApiStandIn> {
    const standIn = new KubeApiStandIn(namespace);
    await new Promise<void>((resolve) => standIn.server.listen(0, '127.0.0.1', resolve));
    onCleanup(() => standIn.stop());
    return standIn;
  }

  /** Every request, in order. */
  public readonly requests: ApiRequest[] = [];
  /** The objects, `resource/name` to object. */
  public readonly objects = new Map<string, Obj>();
  /** How long a deleted pod stays, terminating, before it is gone. */
  public podTerminationMs = 1000;
  private readonly server: http.Server;
  private readonly watches = new Set<{ res: http.ServerResponse; resource: string; name?: string }>();
  private uid = 0;

  private constructor(public readonly namespace: string) {
    this.server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => { body += c; });
      req.on('end', () => this.handle(req, res, body));
    });
  }

  /** `http://127.0.0.1:PORT` */
  public get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** A kubeconfig for this server, its namespace as the context's (what the in-cluster config takes from the token mount). */
  public kubeconfig(): string {
    return JSON.stringify({
      'apiVersion': 'v1',
      'kind': 'Config',
      'clusters': [{ name: 'stand-in', cluster: { server: this.url } }],
      'users': [{ name: 'job', user: { token: 'job-token' } }],
      'contexts': [{ name: 'job', context: { cluster: 'stand-in', user: 'job', namespace: this.namespace } }],
      'current-context': 'job',
    });
  }

  /** Adds or replaces an object (its kind decides the resource). */
  public put(obj: Obj): void {
    const resource = Object.keys(RESOURCES).find((r) => RESOURCES[r].kind === obj.kind)!;
    this.uid += 1;
    this.objects.set(`${resource}/${obj.metadata.name}`, {
      ...obj, metadata: { namespace: this.namespace, uid: `uid-${this.uid}`, resourceVersion: String(this.uid), ...obj.metadata },
    });
  }

  /** Removes an object and tells the watches that follow it. */
  private remove(key: string): void {
    const obj = this.objects.get(key);
    if (!obj) return;
    this.objects.delete(key);
    const [resource, name] = key.split('/');
    for (const watch of this.watches) {
      if (watch.resource === resource && (watch.name === undefined || watch.name === name)) {
        watch.res.write(`${JSON.stringify({ type: 'DELETED', object: obj })}\n`);
      }
    }
  }

  public async stop(): Promise<void> {
    for (const watch of this.watches) watch.res.end();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse, body: string): void {
    const url = new URL(req.url ?? '/', 'http://stand-in');
    const query = Object.fromEntries(url.searchParams.entries());
    const json = (status: number, obj: Obj) => {
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(obj));
    };
    const notFound = (what: string) => json(404, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404, message: `${what} not found` });
    const match = /^\/(?:api\/v1|apis\/(apps)\/v1)\/namespaces\/([^/]+)\/([^/]+)(?:\/([^/]+))?$/.exec(url.pathname);
    if (!match) {
      this.requests.push({ method: req.method!, path: url.pathname, query, body });
      return this.discovery(url.pathname, json, notFound);
    }
    const [, group = '', namespace, resource, pathName] = match;
    const watching = query.watch === 'true' || query.watch === '1';
    const verb = req.method === 'GET' ? (pathName ? 'get' : watching ? 'watch' : 'list')
      : req.method === 'POST' ? 'create' : req.method === 'PATCH' ? 'patch' : req.method === 'PUT' ? 'update'
        : req.method === 'DELETE' ? (pathName ? 'delete' : 'deletecollection') : req.method!.toLowerCase();
    const fieldName = /(?:^|,)metadata\.name=([^,]+)/.exec(query.fieldSelector ?? '')?.[1];
    const name = pathName ?? fieldName;
    this.requests.push({ method: req.method!, path: url.pathname, verb, apiGroup: group, resource, name, query, body });
    if (namespace !== this.namespace || !RESOURCES[resource] || RESOURCES[resource].group !== group) return notFound(url.pathname);
    const key = `${resource}/${pathName}`;
    const kind = RESOURCES[resource].kind;
    switch (verb) {
      case 'get':
        return this.objects.has(key) ? json(200, this.objects.get(key)!) : notFound(key);
      case 'list': {
        const items = [...this.objects.entries()].filter(([k]) => k.startsWith(`${resource}/`)).map(([, o]) => o)
          .filter((o) => fieldName === undefined || o.metadata.name === fieldName)
          .filter((o) => selects(query.labelSelector, o.metadata.labels ?? {}));
        return json(200, { kind: `${kind}List`, apiVersion: group ? `${group}/v1` : 'v1', metadata: { resourceVersion: String(this.uid) }, items });
      }
      case 'watch': {
        // An open stream that reports deletions (the only event the steps wait for).
        res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
        res.flushHeaders();
        const watch = { res, resource, name: fieldName };
        this.watches.add(watch);
        res.on('close', () => this.watches.delete(watch));
        return;
      }
      case 'patch': {
        if (req.headers['content-type'] !== 'application/apply-patch+yaml') return json(415, { kind: 'Status', code: 415, message: 'only server-side apply here' });
        const applied = JSON.parse(body);
        const created = !this.objects.has(key);
        this.put({ ...applied, metadata: { ...applied.metadata, name: pathName } });
        // A server-side apply that creates is authorized as `create` too (apiserver handlers/patch.go).
        if (created) this.requests.push({ method: 'PATCH', path: url.pathname, verb: 'create', apiGroup: group, resource, name: pathName, query, body });
        return json(created ? 201 : 200, this.objects.get(key)!);
      }
      case 'delete': {
        const obj = this.objects.get(key);
        if (!obj) return notFound(key);
        if (resource !== 'pods') {
          this.remove(key);
          return json(200, obj);
        }
        // A pod terminates for a while (its grace period), then is gone.
        const terminating = { ...obj, metadata: { ...obj.metadata, deletionTimestamp: new Date().toISOString() } };
        this.objects.set(key, terminating);
        setTimeout(() => this.remove(key), this.podTerminationMs);
        return json(200, terminating);
      }
      default:
        return json(405, { kind: 'Status', code: 405, message: `${verb} is not served by the stand-in` });
    }
  }

  private discovery(path: string, json: (status: number, obj: Obj) => void, notFound: (what: string) => void): void {
    const resources = (group: string) => Object.entries(RESOURCES).filter(([, r]) => r.group === group)
      .map(([name, r]) => ({ name, singularName: r.kind.toLowerCase(), namespaced: true, kind: r.kind, verbs: VERBS }));
    switch (path) {
      case '/version':
        return json(200, { major: '1', minor: '33', gitVersion: 'v1.33.5' });
      case '/api':
        return json(200, { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] });
      case '/apis':
        return json(200, { kind: 'APIGroupList', apiVersion: 'v1', groups: [{ name: 'apps', versions: [{ groupVersion: 'apps/v1', version: 'v1' }], preferredVersion: { groupVersion: 'apps/v1', version: 'v1' } }] });
      case '/api/v1':
        return json(200, { kind: 'APIResourceList', groupVersion: 'v1', resources: resources('') });
      case '/apis/apps/v1':
        return json(200, { kind: 'APIResourceList', groupVersion: 'apps/v1', resources: resources('apps') });
      case '/openapi/v3':
        return json(200, { paths: { 'api/v1': { serverRelativeURL: '/openapi/v3/api/v1' } } });
      case '/openapi/v3/api/v1':
        // What a real server declares for a ConfigMap PATCH: kubectl then leaves strict field validation to the server.
        return json(200, {
          openapi: '3.0.0',
          info: { title: 'Kubernetes', version: 'v1.33.5' },
          paths: {
            '/api/v1/namespaces/{namespace}/configmaps/{name}': {
              patch: {
                'x-kubernetes-group-version-kind': { group: '', version: 'v1', kind: 'ConfigMap' },
                'parameters': [{ name: 'fieldValidation', in: 'query', schema: { type: 'string' } }],
                'responses': {},
              },
            },
          },
        });
      default:
        return notFound(path);
    }
  }
}

/** Equality terms (`k=v,k2=v2`), as the job renders them; anything else is refused. */
function selects(selector: string | undefined, labels: { [key: string]: string }): boolean {
  if (!selector) return true;
  return selector.split(',').every((term) => {
    const m = /^([^=!]+)=([^=]*)$/.exec(term);
    if (!m) throw new Error(`the stand-in matches equality terms only, not ${term}`);
    return labels[m[1]] === m[2];
  });
}

/** Whether the Role's rules allow a request, as RBAC decides (apiGroups, resources, verbs, resourceNames). */
export function roleAllows(rules: Obj[], request: ApiRequest): boolean {
  return rules.some((rule) => (rule.apiGroups ?? []).includes(request.apiGroup)
    && (rule.resources ?? []).includes(request.resource)
    && (rule.verbs ?? []).includes(request.verb)
    && (!rule.resourceNames?.length || (request.name !== undefined && rule.resourceNames.includes(request.name))));
}
