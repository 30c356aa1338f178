import type { Projection } from '../runtime/projection';
import { accountBalancesProjection } from './account-balances';
import { auditLogProjection } from './audit-log';
import { generalLedgerProjection } from './general-ledger';

export * from './account-balances';
export * from './general-ledger';
export * from './audit-log';
export * from './transactions';
export * from './chart-of-accounts';
export * from './reconcile';
export { QUERY_PAGE_SIZE_MAX, type TrialBalance, type TrialBalanceRow } from './shared';

/** Every projection the server runs continuously and the CLI knows by name. */
export const ledgerProjections: readonly Projection[] = [accountBalancesProjection, generalLedgerProjection, auditLogProjection];
