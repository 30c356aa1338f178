import type { ledger as wire } from '@neuroerp/schemas';

export type { Command, CommandMetadata } from '../command';

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
