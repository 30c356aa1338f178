/** New ids for commands; the domain requires ids from the client, like Emmett's. */
export function newId(prefix: string): string {
  return `${prefix}-${globalThis.crypto.randomUUID()}`;
}

export function todayIso(): string {
  return new Date().toISOString().slice(0, 10);
}
