import type { EventStore, FileStore } from '@neuroerp/infra';
import { DocumentCommands } from '../documents/commands';
import { createDocumentsCommandHandler } from '../documents/streams';
import { LedgerCommands } from '../ledger/commands';
import { createLedgerCommandHandler } from '../ledger/handler';
import { contractReview } from './contract-review';
import { invoiceToTransaction, type InvoiceAccounts } from './invoice-to-transaction';
import { reversalCompletion } from './reversal-completion';
import { CausedEventStore, ProcessManagerRuntime } from './runtime';
import type { ProcessManagerStore } from './store';
import { transactionApproval, type WorkflowStarter } from './transaction-approval';

/** The checkpoint name of the runtime that runs NeuroERP's process managers. */
export const PROCESS_MANAGERS_RUNTIME = 'process-managers';

export interface ProcessManagersOptions {
  /** The event store: subscribed to, and written through (with causation) by the commands. */
  store: EventStore;
  /** Checkpoint and refusals (PostgresProcessManagerStore). */
  persistence: ProcessManagerStore;
  /** The workflow engine's entry point (issue 4's workflow service). */
  workflows: WorkflowStarter;
  /** The commands' clock (`now`); defaults to the system clock. */
  clock?: () => Date;
  /** The accounts invoices are booked on; defaults to SKR03. */
  accounts?: InvoiceAccounts;
  /** Checkpoint name; default PROCESS_MANAGERS_RUNTIME. */
  name?: string;
}

/** The process managers read documents but never attachments; a file read is a programmer error. */
const NO_FILES: FileStore = {
  description: 'none (process managers handle no attachments)',
  put: () => Promise.reject(new Error('process managers store no files')),
  get: () => Promise.reject(new Error('process managers read no files')),
  close: () => Promise.resolve(),
};

/**
 * The runtime with the process managers, in this order for every event: invoice →
 * transaction (invoice-to-transaction.ts), transaction ↔ approval workflow
 * (transaction-approval.ts), reversal completion (reversal-completion.ts), contract → review
 * workflow → recorded review (contract-review.ts). Their commands run on command handlers of their own over a
 * CausedEventStore, through the same LedgerCommands and DocumentCommands as the HTTP routes.
 * Call `start()`, and `stop()` on shutdown; the store and persistence stay the caller's to close.
 */
export function createProcessManagerRuntime(options: ProcessManagersOptions): ProcessManagerRuntime {
  const causedStore = new CausedEventStore(options.store);
  const clock = options.clock === undefined ? {} : { clock: options.clock };
  const ledger = new LedgerCommands(createLedgerCommandHandler(causedStore, clock));
  const documents = new DocumentCommands(createDocumentsCommandHandler(causedStore, clock), NO_FILES);
  return new ProcessManagerRuntime({
    name: options.name ?? PROCESS_MANAGERS_RUNTIME,
    store: options.store,
    causedStore,
    persistence: options.persistence,
    processManagers: [
      invoiceToTransaction({ ledger, documents, ...(options.accounts !== undefined ? { accounts: options.accounts } : {}) }),
      transactionApproval({ ledger, store: options.store, workflows: options.workflows }),
      reversalCompletion({ ledger }),
      contractReview({ documents, workflows: options.workflows }),
    ],
  });
}
