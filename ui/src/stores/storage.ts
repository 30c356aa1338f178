/** The Web Storage the stores persist to; tests and non-browser runs get an in-memory one. */
export interface KeyValueStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

export function memoryStorage(): KeyValueStorage {
  const values = new Map<string, string>();
  return {
    getItem: (key) => values.get(key) ?? null,
    setItem: (key, value) => void values.set(key, value),
    removeItem: (key) => void values.delete(key),
  };
}

const fallbackLocal = memoryStorage();
const fallbackSession = memoryStorage();

export function localStore(): KeyValueStorage {
  return (globalThis as { localStorage?: KeyValueStorage }).localStorage ?? fallbackLocal;
}

export function sessionStore(): KeyValueStorage {
  return (globalThis as { sessionStorage?: KeyValueStorage }).sessionStorage ?? fallbackSession;
}
