import { documentsProjection } from './documents/documents';
import { usersProjection } from './identity/users';
import { ledgerProjections } from './ledger';
import { chartOfAccountsProjection } from './ledger/chart-of-accounts';
import { transactionsProjection } from './ledger/transactions';
import type { Projection } from './runtime/projection';
import { searchProjection } from './search/search-projection';
import { workflowsProjection } from './workflows/workflows';

/**
 * The read models beyond the ledger's three: the chart of accounts, transactions with status and history, documents
 * with versions, users, the PostgreSQL search index and workflow instances (the inbox). Kept out of `ledgerProjections` so that
 * adding them to a server is a decision of its composition root (each runner holds a
 * connection of the read-model pool).
 */
export const readModelProjections: readonly Projection[] = [chartOfAccountsProjection, transactionsProjection, documentsProjection, usersProjection, searchProjection, workflowsProjection];

/** Every projection this package defines, by which the CLI can know them by name. */
export const allProjections: readonly Projection[] = [...ledgerProjections, ...readModelProjections];
