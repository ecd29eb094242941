/**
 * A loopback HTTP server that records every request and answers it: the receiving end of what the registry sends
 * out (notification webhooks, OTLP/HTTP traces), for scenarios to wait for and inspect.
 */
import * as http from 'http';
import { freePort, onCleanup, sleep } from './cleanup';
import type { RegistryPod } from './registry-pod';

/** A request as the server received it. */
export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
}

/**
 * The first of `requests` that matches, once it arrives (within `timeoutMs`); rejects with what arrived and the
 * registry's output otherwise.
 */
export async function waitForRequest(requests: RecordedRequest[], match: (r: RecordedRequest) => boolean, pod: RegistryPod,
  timeoutMs = 30000): Promise<RecordedRequest> {
  const deadline = Date.now() + timeoutMs;
  do {
    const found = requests.find(match);
    if (found) return found;
    await sleep(50);
  } while (Date.now() < deadline);
  throw new Error(`no matching request within ${timeoutMs} ms; received ${requests.length}: ${JSON.stringify(requests.map((r) => `${r.method} ${r.path}`))}; `
    + `registry output:\n${pod.stderr().slice(-3000)}`);
}

/** A recording server on 127.0.0.1 at a free port. `start()` it; `cleanupAll()` (or `stop()`) closes it. */
export class RecordingServer {
  /** Starts a server that answers every request with `status` and `headers`, and no body. */
  public static async start(status = 200, headers: http.OutgoingHttpHeaders = {}): Promise<RecordingServer> {
    const server = new RecordingServer(status, headers, await freePort());
    await new Promise<void>((resolve) => server.server.listen(server.port, '127.0.0.1', resolve));
    onCleanup(() => server.stop());
    return server;
  }

  /** Every request received, in arrival order. */
  public readonly requests: RecordedRequest[] = [];
  private readonly server: http.Server;

  private constructor(status: number, headers: http.OutgoingHttpHeaders, public readonly port: number) {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.requests.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) });
        res.writeHead(status, headers).end();
      });
    });
  }

  /** `http://127.0.0.1:PORT`. */
  public get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The first request that matches, once it arrives (`waitForRequest`). */
  public waitFor(match: (r: RecordedRequest) => boolean, pod: RegistryPod): Promise<RecordedRequest> {
    return waitForRequest(this.requests, match, pod);
  }

  /** Closes the server. */
  public async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
