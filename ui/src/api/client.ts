/**
 * The one typed HTTP client of the dashboard (STYLE.md: one typed API client, one error sink).
 *
 * - Sends the bearer access token; on a 401 it refreshes the token pair once (concurrent
 *   requests share one refresh) and repeats the request; when the refresh fails the session
 *   is over and `onSessionExpired` runs.
 * - Every command (POST, PUT, DELETE) carries an `Idempotency-Key`; a repeat after a refresh
 *   reuses the key, so the server never runs a command twice.
 * - Any answer that is not 2xx becomes an `ApiError` carrying the problem+json members
 *   (`code`, `detail`, `issues`), so pages can show them per field.
 */

/** One entry of `issues[]` in a 400 VALIDATION_FAILED problem. */
export interface ProblemIssue {
  location?: string;
  path: (string | number)[];
  message: string;
  code?: string;
}

/** An RFC 7807 problem as the NeuroERP APIs send it. */
export interface Problem {
  type?: string;
  title?: string;
  status: number;
  code: string;
  detail?: string;
  instance?: string;
  issues?: ProblemIssue[];
  [member: string]: unknown;
}

/** A failed request: the problem the server sent, or one made up for network failures. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly detail: string;
  readonly issues: ProblemIssue[];
  readonly problem: Problem;

  constructor(problem: Problem) {
    super(problem.detail ?? problem.title ?? problem.code);
    this.name = 'ApiError';
    this.problem = problem;
    this.status = problem.status;
    this.code = problem.code;
    this.detail = problem.detail ?? problem.title ?? problem.code;
    this.issues = Array.isArray(problem.issues) ? problem.issues : [];
  }

  /** Issues whose path starts with `prefix` (e.g. `['lines', 0]`), for per-field messages. */
  issuesAt(...prefix: (string | number)[]): ProblemIssue[] {
    return this.issues.filter((issue) => prefix.every((part, index) => String(issue.path[index]) === String(part)));
  }
}

/** Status 0: the server did not answer at all. */
export const NETWORK_ERROR = 'NETWORK_ERROR';

export function isApiError(error: unknown): error is ApiError {
  return error instanceof ApiError;
}

/** Turns anything thrown into an ApiError, so the error sink has one shape to show. */
export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  const detail = error instanceof Error ? error.message : String(error);
  return new ApiError({ status: 0, code: 'CLIENT_ERROR', detail });
}

export interface TokenPair {
  tokenType?: string;
  accessToken: string;
  expiresIn: number;
  refreshToken: string;
  refreshExpiresIn: number;
  user?: unknown;
}

/** Where the client finds and puts tokens: the auth store implements it. */
export interface TokenSource {
  accessToken(): string | null;
  refreshToken(): string | null;
  /** A refreshed pair, or null when the session ended. */
  update(pair: TokenPair | null): void;
}

export interface ApiClientOptions {
  /** Prefix of every path; '' means the page's own origin. */
  baseUrl?: string;
  fetch?: typeof fetch;
  tokens: TokenSource;
  /** New idempotency keys; crypto.randomUUID by default. */
  newKey?: () => string;
  onSessionExpired?: () => void;
}

export type Query = Record<string, string | number | boolean | null | undefined>;

export interface CommandOptions {
  /** Reuse a key to repeat a command on purpose (e.g. after a timeout). */
  idempotencyKey?: string;
  ifMatch?: string;
}

export interface ApiResponse<T> {
  data: T;
  status: number;
  headers: Headers;
}

export interface ApiClient {
  get<T>(path: string, query?: Query): Promise<T>;
  getResponse<T>(path: string, query?: Query): Promise<ApiResponse<T>>;
  post<T>(path: string, body?: unknown, options?: CommandOptions): Promise<T>;
  put<T>(path: string, body?: unknown, options?: CommandOptions): Promise<T>;
  delete<T>(path: string, body?: unknown, options?: CommandOptions): Promise<T>;
  /** multipart/form-data POST (attachments). */
  upload<T>(path: string, form: FormData, options?: CommandOptions): Promise<T>;
  /** Raw body (CSV exports), authenticated like every other request. */
  text(path: string, query?: Query): Promise<string>;
  /** A binary body (attachment downloads), authenticated like every other request. */
  blob(path: string, query?: Query): Promise<Blob>;
  /** POST without token or idempotency key (login, refresh). */
  postAnonymous<T>(path: string, body: unknown): Promise<T>;
  url(path: string, query?: Query): string;
}

/** Paths whose 401 means "wrong credentials", never "refresh and retry". */
const NO_REFRESH_PATHS = ['/api/auth/login', '/api/auth/refresh', '/api/auth/logout'];

export function buildUrl(baseUrl: string, path: string, query?: Query): string {
  const parameters = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value === undefined || value === null || value === '') continue;
    parameters.append(key, String(value));
  }
  const search = parameters.toString();
  return `${baseUrl}${path}${search === '' ? '' : `?${search}`}`;
}

function defaultKey(): string {
  return globalThis.crypto.randomUUID();
}

async function problemOf(response: Response): Promise<Problem> {
  const contentType = response.headers.get('content-type') ?? '';
  const text = await response.text();
  if (contentType.includes('json') && text !== '') {
    try {
      const body = JSON.parse(text) as Partial<Problem>;
      return { ...body, status: body.status ?? response.status, code: body.code ?? `HTTP_${response.status}` } as Problem;
    } catch {
      // A broken JSON body still is an HTTP error; fall through to the plain-text problem.
    }
  }
  return { status: response.status, code: `HTTP_${response.status}`, detail: text.slice(0, 300) || response.statusText };
}

export function createApiClient(options: ApiClientOptions): ApiClient {
  const baseUrl = options.baseUrl ?? '';
  const doFetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const newKey = options.newKey ?? defaultKey;
  let refreshing: Promise<boolean> | null = null;

  async function refresh(): Promise<boolean> {
    const refreshToken = options.tokens.refreshToken();
    if (refreshToken === null) return false;
    const response = await doFetch(buildUrl(baseUrl, '/api/auth/refresh'), {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify({ refreshToken }),
    }).catch(() => null);
    if (response === null) return false;
    if (!response.ok) {
      options.tokens.update(null);
      options.onSessionExpired?.();
      return false;
    }
    options.tokens.update((await response.json()) as TokenPair);
    return true;
  }

  /** One refresh at a time: parallel 401s wait for the same one. */
  function refreshOnce(): Promise<boolean> {
    refreshing ??= refresh().finally(() => {
      refreshing = null;
    });
    return refreshing;
  }

  async function send(method: string, path: string, init: { query?: Query; body?: unknown; form?: FormData; command?: CommandOptions; anonymous?: boolean; accept?: string }): Promise<Response> {
    const url = buildUrl(baseUrl, path, init.query);
    const key = init.command?.idempotencyKey ?? newKey();
    const attempt = async (): Promise<Response> => {
      const headers: Record<string, string> = { Accept: init.accept ?? 'application/json, application/problem+json' };
      const token = init.anonymous ? null : options.tokens.accessToken();
      if (token !== null) headers.Authorization = `Bearer ${token}`;
      if (method !== 'GET' && !init.anonymous) headers['Idempotency-Key'] = key;
      if (init.command?.ifMatch !== undefined) headers['If-Match'] = init.command.ifMatch;
      let body: BodyInit | undefined;
      if (init.form !== undefined) body = init.form;
      else if (init.body !== undefined) {
        headers['Content-Type'] = 'application/json';
        body = JSON.stringify(init.body);
      }
      try {
        return await doFetch(url, { method, headers, body });
      } catch (error) {
        throw new ApiError({ status: 0, code: NETWORK_ERROR, detail: error instanceof Error ? error.message : String(error) });
      }
    };
    let response = await attempt();
    if (response.status === 401 && !init.anonymous && !NO_REFRESH_PATHS.includes(path) && options.tokens.refreshToken() !== null) {
      if (await refreshOnce()) response = await attempt();
    }
    if (!response.ok) throw new ApiError(await problemOf(response));
    return response;
  }

  async function json<T>(response: Response): Promise<T> {
    if (response.status === 204) return undefined as T;
    const text = await response.text();
    return (text === '' ? undefined : JSON.parse(text)) as T;
  }

  return {
    get: async (path, query) => json(await send('GET', path, { query })),
    getResponse: async <T>(path: string, query?: Query) => {
      const response = await send('GET', path, { query });
      return { data: await json<T>(response), status: response.status, headers: response.headers };
    },
    post: async (path, body, command) => json(await send('POST', path, { body: body ?? {}, command })),
    put: async (path, body, command) => json(await send('PUT', path, { body, command })),
    delete: async (path, body, command) => json(await send('DELETE', path, { body, command })),
    upload: async (path, form, command) => json(await send('POST', path, { form, command })),
    text: async (path, query) => (await send('GET', path, { query, accept: 'text/csv, text/plain, */*' })).text(),
    blob: async (path, query) => (await send('GET', path, { query, accept: '*/*' })).blob(),
    postAnonymous: async (path, body) => json(await send('POST', path, { body, anonymous: true })),
    url: (path, query) => buildUrl(baseUrl, path, query),
  };
}
