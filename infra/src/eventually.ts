/**
 * For tests: reads `read()` every `intervalMs` until `done(value)` holds and returns that value;
 * after `timeoutMs` it throws, naming `what` and the last value read.
 */
export async function eventually<T>(what: string, read: () => Promise<T>, done: (value: T) => boolean, options: { timeoutMs?: number; intervalMs?: number } = {}): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 20_000);
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not reached in ${options.timeoutMs ?? 20_000} ms; last ${JSON.stringify(value, (_key, item: unknown) => (typeof item === 'bigint' ? item.toString() : item))}`);
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 50));
  }
}
