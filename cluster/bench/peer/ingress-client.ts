/**
 * A minimal HTTP/1.1 client of Restate's ingress over keep-alive connections: `send` (one-way
 * call with an idempotency key; answers once the ingress accepted it, i.e. once it is in the log)
 * and `attach` (waits for the invocation's response).
 */
import http from 'node:http';

export interface IngressClient {
  /** POST /<object>/<key>/<handler>/send with `idempotency-key`; resolves with the invocation id. */
  send(object: string, key: string, handler: string, body: unknown, idempotencyKey: string): Promise<string>;
  /** GET /restate/invocation/<id>/attach: resolves with the handler's response (JSON). */
  attach(invocationId: string): Promise<unknown>;
  close(): void;
}

export class IngressError extends Error {
  override readonly name = 'IngressError';
  constructor(readonly status: number, body: string) { super(`ingress answered ${status}: ${body.slice(0, 300)}`); }
}

export function createIngressClient(baseUrl: string): IngressClient {
  const url = new URL(baseUrl);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 512 });
  const request = (method: string, path: string, headers: Record<string, string>, body?: string) => new Promise<unknown>((resolve, reject) => {
    const req = http.request({ host: url.hostname, port: url.port, method, path, agent, headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        if ((res.statusCode ?? 0) >= 300) return reject(new IngressError(res.statusCode ?? 0, text));
        try { resolve(text === '' ? undefined : JSON.parse(text)); } catch (err) { reject(err); }
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
  const seg = encodeURIComponent;
  return {
    async send(object, key, handler, body, idempotencyKey) {
      const answer = await request('POST', `/${seg(object)}/${seg(key)}/${seg(handler)}/send`, { 'idempotency-key': idempotencyKey }, JSON.stringify(body)) as { invocationId?: string };
      if (!answer?.invocationId) throw new Error(`send answered without an invocation id: ${JSON.stringify(answer)}`);
      return answer.invocationId;
    },
    attach: (invocationId) => request('GET', `/restate/invocation/${seg(invocationId)}/attach`, {}),
    close: () => agent.destroy(),
  };
}
