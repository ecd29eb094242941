/**
 * A small HTTP client for assertions on the registry's answers (status, challenge headers).
 */
import * as http from 'http';
import * as https from 'https';

/** Options of `httpRequest`. */
export interface HttpRequestOptions {
  /** HTTP method. @default 'GET' */
  readonly method?: string;
  /** Basic auth user. @default - no Authorization header */
  readonly username?: string;
  /** Basic auth password. @default '' */
  readonly password?: string;
  /** Extra request headers. @default - none */
  readonly headers?: { [name: string]: string };
  /** Request body. @default - none */
  readonly body?: string | Buffer;
  /** Give up after this long. @default 10000 */
  readonly timeoutMs?: number;
}

/** What `httpRequest` returns. */
export interface HttpResponse {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

/**
 * One HTTP or HTTPS request; never follows redirects. HTTPS does not verify the server's certificate
 * (as the kubelet's HTTPS probes do not): assert on the certificate separately.
 */
export function httpRequest(url: string, options: HttpRequestOptions = {}): Promise<HttpResponse> {
  const headers: { [name: string]: string } = { ...options.headers };
  if (options.username !== undefined) {
    headers.Authorization = 'Basic ' + Buffer.from(`${options.username}:${options.password ?? ''}`).toString('base64');
  }
  return new Promise((resolve, reject) => {
    const client = url.startsWith('https:') ? https : http;
    const req = client.request(url, { method: options.method ?? 'GET', headers, agent: false, rejectUnauthorized: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf-8') }));
      res.on('error', reject);
    });
    req.setTimeout(options.timeoutMs ?? 10000, () => req.destroy(new Error(`${options.method ?? 'GET'} ${url} timed out`)));
    req.on('error', reject);
    req.end(options.body);
  });
}
