import { toCsv } from '../http/csv';
import { dateParameter, instantParameter } from '../http/parameters';
import { z } from '../http/zod';
import { accountCatalogue, accountOf, CHART_OF_ACCOUNTS } from '../read-models/accounts';
import { ACCOUNT_BALANCES, GENERAL_LEDGER } from '../read-models/ledger';
import { formatMinor } from '../read-models/money';
import { defineRoute } from '../route';
import { balancesAsOf } from './accounts';

const amount = z.string().openapi({ description: 'Decimal string in major units of the company currency.' });

const trialBalanceResponse = z.object({
  asOf: z.string(),
  knownAt: z.string().nullable().describe('Null: as known now.'),
  currency: z.string(),
  items: z.array(
    z.object({
      accountNumber: z.string(),
      name: z.string().nullable().describe('From the chart of accounts; null for an account number the chart does not hold.'),
      type: z.string().describe('From the chart of accounts; for a number the chart does not hold, guessed from the SKR03 account classes.'),
      debit: amount,
      credit: amount,
      balance: amount,
    }),
  ),
  totals: z.object({ debit: amount, credit: amount }),
});
type TrialBalanceResponse = z.infer<typeof trialBalanceResponse>;

export const trialBalanceRoute = defineRoute({
  path: '/trial-balance',
  operationId: 'queryTrialBalance',
  summary: 'The trial balance in company currency as of a posting date, as known at an instant (bi-temporal).',
  tags: ['query: ledger'],
  permission: 'finance:read',
  reads: [ACCOUNT_BALANCES, GENERAL_LEDGER],
  optionalReads: [CHART_OF_ACCOUNTS],
  query: z.object({
    asOf: dateParameter.optional().describe('Posting date; default today.'),
    knownAt: instantParameter.optional().describe('Only lines recorded at or before this instant; default: as known now.'),
  }),
  response: trialBalanceResponse,
  csv: {
    filename: (body: TrialBalanceResponse) => `trial-balance-${body.asOf}.csv`,
    render: (body: TrialBalanceResponse) =>
      toCsv(
        [
          { header: 'accountNumber', value: (row) => row.accountNumber },
          { header: 'name', value: (row) => row.name },
          { header: 'type', value: (row) => row.type },
          { header: 'debit', value: (row) => row.debit },
          { header: 'credit', value: (row) => row.credit },
          { header: 'balance', value: (row) => row.balance },
        ],
        [...body.items, { accountNumber: 'total', name: null, type: '', debit: body.totals.debit, credit: body.totals.credit, balance: '' }],
      ),
  },
  async run(context): Promise<TrialBalanceResponse> {
    const { asOf, knownAt, balances, currency } = await balancesAsOf(context);
    const catalogue = await accountCatalogue(context, balances.rows.map((row) => row.accountNumber));
    return {
      asOf,
      knownAt,
      currency,
      items: balances.rows.map((row) => ({
        accountNumber: row.accountNumber,
        name: accountOf(catalogue, row.accountNumber).name,
        type: accountOf(catalogue, row.accountNumber).type,
        debit: formatMinor(row.debitMinor, currency),
        credit: formatMinor(row.creditMinor, currency),
        balance: formatMinor(row.balanceMinor, currency),
      })),
      totals: { debit: formatMinor(balances.debitTotalMinor, currency), credit: formatMinor(balances.creditTotalMinor, currency) },
    };
  },
});
