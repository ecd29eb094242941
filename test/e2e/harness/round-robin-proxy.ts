/**
 * A loopback HTTP proxy that sends each request to the next backend in turn: the stand-in for a
 * Kubernetes Service (kube-proxy) in front of several registry pods. Records which backend served each
 * request, and lets a test take a backend out of rotation (what endpoint removal does when a pod starts
 * terminating) while requests already on it continue.
 */
import * as http from 'http';
import * as net from 'net';
import { freePort, onCleanup } from './cleanup';

/** One request the proxy forwarded. */
export interface ProxiedRequest {
  readonly method: string;
  readonly path: string;
  /** The backend's `host:port`. */
  readonly backend: string;
  /** The backend's status code, or 0 when the connection to it failed. */
  status: number;
}

/** A round-robin HTTP proxy on 127.0.0.1. `start()` it; `cleanupAll()` (or `stop()`) closes it. */
export class RoundRobinProxy {
  /** Starts a proxy over `backends` (`127.0.0.1:PORT` each). */
  public static async start(backends: string[]): Promise<RoundRobinProxy> {
    const proxy = new RoundRobinProxy(backends, await freePort());
    await new Promise<void>((resolve, reject) => {
      proxy.server.once('error', reject);
      proxy.server.listen(proxy.port, '127.0.0.1', () => resolve());
    });
    onCleanup(() => proxy.stop());
    return proxy;
  }

  /** Every request forwarded so far, in arrival order. */
  public readonly log: ProxiedRequest[] = [];
  private readonly server: http.Server;
  private readonly sockets = new Set<net.Socket>();
  private rotation: string[];
  private next = 0;

  private constructor(backends: string[], public readonly port: number) {
    this.rotation = [...backends];
    this.server = http.createServer((req, res) => this.forward(req, res));
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      s.once('close', () => this.sockets.delete(s));
    });
    // Keep-alive connections must not pin a client to one backend: every request is routed anew.
    this.server.keepAliveTimeout = 1;
  }

  /** `127.0.0.1:PORT`, for image references. */
  public get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** `http://127.0.0.1:PORT`. */
  public get url(): string {
    return `http://${this.address}`;
  }

  /** Takes a backend out of rotation: new requests go elsewhere, requests in flight on it continue. */
  public remove(backend: string): void {
    this.rotation = this.rotation.filter((b) => b !== backend);
    if (this.rotation.length === 0) throw new Error('the proxy has no backend left');
  }

  /** The backend that will get the next request. */
  public peekNext(): string {
    return this.rotation[this.next % this.rotation.length];
  }

  /** Closes the proxy and every connection to it. */
  public async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private forward(req: http.IncomingMessage, res: http.ServerResponse): void {
    const backend = this.rotation[this.next++ % this.rotation.length];
    const entry: ProxiedRequest = { method: req.method ?? 'GET', path: req.url ?? '/', backend, status: 0 };
    this.log.push(entry);
    // The Host header is passed on unchanged, as a Service does: the registry builds Location URLs from it.
    forwardRequest(req, res, backend, (status) => { entry.status = status; });
  }
}

/**
 * Pipes a request to `backend` (`127.0.0.1:PORT`) with its headers unchanged (Host too) and the answer back;
 * a failed connection answers 502. `onStatus` gets the backend's status code.
 */
export function forwardRequest(req: http.IncomingMessage, res: http.ServerResponse, backend: string,
  onStatus: (status: number) => void = () => {}): void {
  const [host, port] = backend.split(':');
  const upstream = http.request({ host, port: Number(port), method: req.method, path: req.url, headers: req.headers, agent: false }, (up) => {
    onStatus(up.statusCode ?? 0);
    res.writeHead(up.statusCode ?? 502, up.headers);
    up.pipe(res);
  });
  upstream.on('error', (e) => {
    if (!res.headersSent) {
      res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`proxy: ${backend}: ${e.message}`);
    } else {
      res.destroy(e);
    }
  });
  req.pipe(upstream);
}
