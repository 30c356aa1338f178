import type { Actor, ledger as wire } from '@neuroerp/schemas';

/**
 * What every ledger command carries besides its body: who acts and when. The domain has no
 * clock and no session; the command handler fills this from the authenticated request.
 */
export interface CommandMetadata {
  actor: Actor;
  /** The instant the command is decided at (ISO 8601 with offset), from the handler's clock. */
  now: string;
}

/** A command as the deciders take it: the validated wire body plus metadata (Emmett's Command). */
export interface Command<Type extends string, Data> {
  type: Type;
  data: Data;
  metadata: CommandMetadata;
}

/** A ledger event as the deciders produce it; `data` is JSON-serialisable (minor units are strings). */
export interface LedgerEvent<Type extends wire.LedgerEventType = wire.LedgerEventType> {
  type: Type;
  data: wire.LedgerEventData<Type>;
}

/** Union of concrete event shapes for a set of types, so `switch (event.type)` narrows `data`. */
export type LedgerEventOf<Types extends wire.LedgerEventType> = { [Type in Types]: LedgerEvent<Type> }[Types];

/** The role that may grant posting exceptions into soft-locked periods. */
export const ADMIN_ROLE = 'admin';

export function assertNever(value: never): never {
  throw new Error(`Unhandled case: ${JSON.stringify(value)}`);
}
