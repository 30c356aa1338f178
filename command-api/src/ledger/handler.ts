import type { EventStore } from '@neuroerp/infra';
import { ledger as wire } from '@neuroerp/schemas';
import { CommandHandler } from '../command-handling';

/** A CommandHandler that writes ledger events with their catalogue schema versions. */
export function createLedgerCommandHandler(store: EventStore, options: { clock?: () => Date } = {}): CommandHandler {
  return new CommandHandler({
    store,
    clock: options.clock,
    schemaVersionOf: (type) => {
      if (!wire.isLedgerEventType(type)) throw new Error(`event type ${type} is not in the ledger event catalogue`);
      return wire.ledgerEventCatalogue[type].schemaVersion;
    },
  });
}
