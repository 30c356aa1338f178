/**
 * A scripted fetch for store and client tests: each request is answered by the first route
 * that matches its method and path; every request is recorded with its headers and body.
 */
export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: Record<string, string>;
  body: unknown;
}

export type Handler = (request: RecordedRequest) => { status?: number; body?: unknown; headers?: Record<string, string> } | Promise<{ status?: number; body?: unknown; headers?: Record<string, string> }>;

export interface FakeServer {
  fetch: typeof fetch;
  requests: RecordedRequest[];
  on(method: string, path: string | RegExp, handler: Handler): FakeServer;
}

export function problem(status: number, code: string, detail = code, extra: Record<string, unknown> = {}) {
  return { status, body: { type: 'about:blank', title: code, status, code, detail, ...extra }, headers: { 'content-type': 'application/problem+json' } };
}

export function fakeServer(): FakeServer {
  const routes: { method: string; path: string | RegExp; handler: Handler }[] = [];
  const requests: RecordedRequest[] = [];
  const server: FakeServer = {
    requests,
    on(method, path, handler) {
      routes.push({ method, path, handler });
      return server;
    },
    fetch: (async (input: string | URL | Request, init?: RequestInit) => {
      const url = new URL(String(input), 'http://ui.test');
      const headers: Record<string, string> = {};
      for (const [key, value] of Object.entries((init?.headers ?? {}) as Record<string, string>)) headers[key.toLowerCase()] = value;
      const text = typeof init?.body === 'string' ? init.body : undefined;
      const request: RecordedRequest = { method: init?.method ?? 'GET', path: url.pathname, query: url.searchParams, headers, body: text === undefined ? init?.body : JSON.parse(text) };
      requests.push(request);
      const route = routes.find((candidate) => candidate.method === request.method && (typeof candidate.path === 'string' ? candidate.path === request.path : candidate.path.test(request.path)));
      if (route === undefined) return new Response(JSON.stringify({ status: 404, code: 'ROUTE_NOT_FOUND', detail: `${request.method} ${request.path}` }), { status: 404, headers: { 'content-type': 'application/problem+json' } });
      const answer = await route.handler(request);
      const status = answer.status ?? 200;
      const body = answer.body === undefined || status === 204 ? null : JSON.stringify(answer.body);
      return new Response(body, { status, headers: { 'content-type': 'application/json', ...answer.headers } });
    }) as typeof fetch,
  };
  return server;
}
