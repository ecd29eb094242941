import { Construct, IConstruct } from 'constructs';
import { MirrorUpstream } from './mirror-upstream';
import { AwsLoadBalancerType, ElbTlsService } from '../expose/elb-tls-service';
import { RegistryIngress, RegistryIngressTls } from '../expose/registry-ingress';
import { RegistryNodePort } from '../expose/registry-node-port';
import { RegistryDeployment } from '../registry-deployment';
import { propError, requireHostname, requireIntegerInRange } from '../util/validation';

const NODE_PORT_MIN = 30000;
const NODE_PORT_MAX = 32767;

/**
 * What a node access gives one mirror: its way in and where nodes send their requests.
 */
export interface MirrorNodeAccessBinding {
  /** The way in (a `RegistryNodePort`, `RegistryIngress` or `ElbTlsService`). */
  readonly wayIn: IConstruct;

  /** Where a node's runtime sends its requests (`http://localhost:30500`, `https://docker-io.mirrors.example.com`). */
  readonly endpoint: string;

  /**
   * A PEM CA certificate the runtime must trust for `endpoint`.
   * @default - the node's system trust store
   */
  readonly caCertificate?: string;
}

/**
 * Options of `MirrorNodeAccess.nodePorts()`.
 */
export interface NodePortMirrorAccessOptions {
  /**
   * The node port of the first upstream; the others get the next ports, in the order of `upstreams`. All must lie
   * in 30000 to 32767.
   * @default 30500
   */
  readonly firstPort?: number;

  /**
   * The address a node's runtime connects to (see `RegistryNodePortOptions.address`).
   * @default "localhost" - answered by kube-proxy in iptables mode; give the node's own address with IPVS or nftables
   * mode, Cilium's kube-proxy replacement or OVN-Kubernetes
   */
  readonly address?: string;

  /**
   * Whether the node ports are reachable from outside the cluster's network (see `RegistryNodePortOptions.publicAccess`).
   * @default true
   */
  readonly publicAccess?: boolean;
}

/**
 * Options of `MirrorNodeAccess.ingress()`.
 */
export interface IngressMirrorAccessOptions {
  /** The DNS suffix of the mirrors' hosts: each upstream gets `<slug>.<hostSuffix>` (`docker-io.mirrors.example.com`). */
  readonly hostSuffix: string;

  /**
   * The certificate of every host (a wildcard certificate for `*.<hostSuffix>` in a Secret, or cert-manager).
   * @default - no `spec.tls`: the controller's default certificate, which the nodes must trust
   */
  readonly tls?: RegistryIngressTls;

  /**
   * The IngressClass.
   * @default - the cluster's default IngressClass
   */
  readonly ingressClassName?: string;

  /**
   * The PEM CA certificate (public) the nodes must trust for the hosts, when it is not in their trust store: it goes
   * into the node files (`ca` in containerd's `hosts.toml`).
   * @default - the nodes' system trust store
   */
  readonly caCertificate?: string;
}

/**
 * Options of `MirrorNodeAccess.loadBalancer()`.
 */
export interface LoadBalancerMirrorAccessOptions {
  /** The DNS suffix of the mirrors' hosts: each upstream gets `<slug>.<hostSuffix>`, pointed at its load balancer. */
  readonly hostSuffix: string;

  /** The ACM or IAM certificate ARN covering every host (a wildcard certificate for `*.<hostSuffix>`). */
  readonly certificateArn: string;

  /**
   * Make the load balancers internal (reachable from the VPC only).
   * @default false
   */
  readonly internal?: boolean;

  /**
   * The kind of load balancer.
   * @default AwsLoadBalancerType.CLASSIC
   */
  readonly loadBalancerType?: AwsLoadBalancerType;
}

/**
 * How the nodes' container runtimes reach the mirrors of a `RegistryMirrorSet`. A NodePort on `localhost` needs no
 * certificate: containerd takes an `http://` host in `hosts.toml`, CRI-O a mirror with `insecure = true`. An Ingress or
 * a load balancer serves HTTPS with a certificate the nodes must trust (a public CA, or `caCertificate`).
 */
export abstract class MirrorNodeAccess {
  /** A `RegistryNodePort` per mirror, on consecutive ports in the order of the upstreams. */
  public static nodePorts(options: NodePortMirrorAccessOptions = {}): MirrorNodeAccess {
    return new NodePortAccess(options);
  }

  /** A `RegistryIngress` per mirror, host `<slug>.<hostSuffix>`. */
  public static ingress(options: IngressMirrorAccessOptions): MirrorNodeAccess {
    return new IngressAccess(options);
  }

  /** An `ElbTlsService` per mirror, host `<slug>.<hostSuffix>`. */
  public static loadBalancer(options: LoadBalancerMirrorAccessOptions): MirrorNodeAccess {
    return new LoadBalancerAccess(options);
  }

  protected constructor() {
  }

  /**
   * Makes the way in of one mirror.
   * @param scope the mirror set: the way in is made in it
   * @param registry the mirror
   * @param upstream its upstream
   * @param index its place in the upstreams
   * @param count the number of upstreams
   */
  public abstract bind(scope: Construct, registry: RegistryDeployment, upstream: MirrorUpstream, index: number,
    count: number): MirrorNodeAccessBinding;
}

class NodePortAccess extends MirrorNodeAccess {
  public constructor(private readonly options: NodePortMirrorAccessOptions) {
    super();
  }

  public bind(scope: Construct, registry: RegistryDeployment, upstream: MirrorUpstream, index: number, count: number): MirrorNodeAccessBinding {
    const first = this.options.firstPort ?? 30500;
    requireIntegerInRange(scope, 'nodeAccess.firstPort', first, NODE_PORT_MIN, NODE_PORT_MAX);
    if (first + count - 1 > NODE_PORT_MAX) {
      throw propError(scope, 'nodeAccess.firstPort', `(${first}) leaves no room for ${count} upstreams: the last would get ${first + count - 1}, past the end of the NodePort range (${NODE_PORT_MAX}). `
        + `Give a firstPort of at most ${NODE_PORT_MAX - count + 1}`);
    }
    const wayIn = new RegistryNodePort(scope, `${upstream.slug}-node-port`, {
      registry,
      nodePort: first + index,
      address: this.options.address,
      imageHost: upstream.imageHost,
      publicAccess: this.options.publicAccess,
    });
    return { wayIn, endpoint: wayIn.endpoint };
  }
}

class IngressAccess extends MirrorNodeAccess {
  public constructor(private readonly options: IngressMirrorAccessOptions) {
    super();
  }

  public bind(scope: Construct, registry: RegistryDeployment, upstream: MirrorUpstream): MirrorNodeAccessBinding {
    requireHostname(scope, 'nodeAccess.hostSuffix', this.options?.hostSuffix, 'mirrors.example.com');
    const host = `${upstream.slug}.${this.options.hostSuffix}`;
    const wayIn = new RegistryIngress(scope, `${upstream.slug}-ingress`, {
      registry, host, tls: this.options.tls, ingressClassName: this.options.ingressClassName,
    });
    return { wayIn, endpoint: wayIn.url, caCertificate: this.options.caCertificate };
  }
}

class LoadBalancerAccess extends MirrorNodeAccess {
  public constructor(private readonly options: LoadBalancerMirrorAccessOptions) {
    super();
  }

  public bind(scope: Construct, registry: RegistryDeployment, upstream: MirrorUpstream): MirrorNodeAccessBinding {
    requireHostname(scope, 'nodeAccess.hostSuffix', this.options?.hostSuffix, 'mirrors.example.com');
    const hostname = `${upstream.slug}.${this.options.hostSuffix}`;
    const wayIn = new ElbTlsService(scope, `${upstream.slug}-lb`, {
      registry,
      hostname,
      certificateArn: this.options.certificateArn,
      internal: this.options.internal,
      loadBalancerType: this.options.loadBalancerType,
    });
    return { wayIn, endpoint: wayIn.url };
  }
}
