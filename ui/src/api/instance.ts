import type { ApiClient } from './client';

/** The app's client, installed once at start-up (main.ts) or by a test; stores reach it through `api()`. */
let installed: ApiClient | null = null;

export function installApiClient(client: ApiClient): void {
  installed = client;
}

export function api(): ApiClient {
  if (installed === null) throw new Error('installApiClient() has not run: main.ts (or the test) must install the API client first');
  return installed;
}
