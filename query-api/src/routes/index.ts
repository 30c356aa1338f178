import type { QueryRoute } from '../route';
import { accountsRoute, statementRoute } from './accounts';
import { auditLogRoute } from './audit-log';
import { dashboardRoute } from './dashboard';
import { documentRoute, documentsRoute } from './documents';
import { ledgerRoute } from './ledger';
import { openItemsRoute } from './open-items';
import { balanceSheetRoute, profitAndLossRoute, vatSummaryRoute } from './reports';
import { searchRoute } from './search';
import { transactionRoute, transactionsRoute } from './transactions';
import { trialBalanceRoute } from './trial-balance';
import { usersRoute } from './users';
import { inboxRoute, workflowRoute, workflowsRoute } from './workflows';

/** Every query route, in the order the router mounts them (the OpenAPI paths come from the same table). */
export const queryRoutes: readonly QueryRoute[] = [
  dashboardRoute,
  accountsRoute,
  statementRoute,
  trialBalanceRoute,
  ledgerRoute,
  transactionsRoute,
  transactionRoute,
  documentsRoute,
  documentRoute,
  searchRoute,
  usersRoute,
  auditLogRoute,
  balanceSheetRoute,
  profitAndLossRoute,
  vatSummaryRoute,
  openItemsRoute,
  inboxRoute,
  workflowsRoute,
  workflowRoute,
];
