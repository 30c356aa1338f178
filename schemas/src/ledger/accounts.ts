import { z } from 'zod';
import { accountNumberSchema, currencyCodeSchema, dimensionKeySchema, idSchema, REASON_LENGTH_MAX } from './primitives';

/** Largest chart an ImportChartOfAccounts command may carry (DATEV charts have a few thousand). */
export const ACCOUNTS_PER_IMPORT_MAX = 5000;
export const REQUIRED_DIMENSIONS_MAX = 5;

export const accountTypeSchema = z.enum(['asset', 'liability', 'equity', 'revenue', 'expense']);
export type AccountType = z.infer<typeof accountTypeSchema>;

export const normalBalanceSchema = z.enum(['debit', 'credit']);
export type NormalBalance = z.infer<typeof normalBalanceSchema>;

/**
 * One account as a company defines it. `currency: null` means multi-currency: lines in any
 * known currency may post to it. `normalBalance` defaults from the type (asset and expense:
 * debit; liability, equity and revenue: credit); set it for contra accounts.
 */
export const accountDefinitionSchema = z.object({
  accountNumber: accountNumberSchema,
  name: z.string().min(1).max(200),
  type: accountTypeSchema,
  normalBalance: normalBalanceSchema.optional(),
  currency: currencyCodeSchema.nullable(),
  requiredDimensions: z.array(dimensionKeySchema).max(REQUIRED_DIMENSIONS_MAX).optional(),
});
export type AccountDefinition = z.infer<typeof accountDefinitionSchema>;

// ---- command bodies (as they arrive on the wire) -----------------------------------------

export const openAccountBodySchema = accountDefinitionSchema.extend({ companyId: idSchema });
export type OpenAccountBody = z.infer<typeof openAccountBodySchema>;

export const blockAccountBodySchema = z.object({
  companyId: idSchema,
  accountNumber: accountNumberSchema,
  reason: z.string().min(1).max(REASON_LENGTH_MAX),
});
export type BlockAccountBody = z.infer<typeof blockAccountBodySchema>;

export const unblockAccountBodySchema = z.object({ companyId: idSchema, accountNumber: accountNumberSchema });
export type UnblockAccountBody = z.infer<typeof unblockAccountBodySchema>;

export const archiveAccountBodySchema = z.object({ companyId: idSchema, accountNumber: accountNumberSchema });
export type ArchiveAccountBody = z.infer<typeof archiveAccountBodySchema>;

export const importChartOfAccountsBodySchema = z
  .object({
    companyId: idSchema,
    accounts: z.array(accountDefinitionSchema).min(1).max(ACCOUNTS_PER_IMPORT_MAX),
  })
  .superRefine((body, ctx) => {
    const seen = new Set<string>();
    body.accounts.forEach((account, index) => {
      if (seen.has(account.accountNumber)) {
        ctx.addIssue({
          code: z.ZodIssueCode.custom,
          path: ['accounts', index, 'accountNumber'],
          message: `Account ${account.accountNumber} appears more than once.`,
          params: { code: 'CHART_IMPORT_DUPLICATE_ACCOUNT' },
        });
      }
      seen.add(account.accountNumber);
    });
  });
export type ImportChartOfAccountsBody = z.infer<typeof importChartOfAccountsBodySchema>;

// ---- event data (stream `ledger.chart_of_accounts-<companyId>`) --------------------------

export const accountOpenedSchema = z.object({
  companyId: idSchema,
  accountNumber: accountNumberSchema,
  name: z.string().min(1).max(200),
  type: accountTypeSchema,
  normalBalance: normalBalanceSchema,
  currency: currencyCodeSchema.nullable(),
  requiredDimensions: z.array(dimensionKeySchema).max(REQUIRED_DIMENSIONS_MAX),
  openedBy: z.string().min(1),
});
export type AccountOpened = z.infer<typeof accountOpenedSchema>;

export const accountBlockedSchema = z.object({
  companyId: idSchema,
  accountNumber: accountNumberSchema,
  reason: z.string().min(1).max(REASON_LENGTH_MAX),
  blockedBy: z.string().min(1),
});
export type AccountBlocked = z.infer<typeof accountBlockedSchema>;

export const accountUnblockedSchema = z.object({ companyId: idSchema, accountNumber: accountNumberSchema, unblockedBy: z.string().min(1) });
export type AccountUnblocked = z.infer<typeof accountUnblockedSchema>;

export const accountArchivedSchema = z.object({ companyId: idSchema, accountNumber: accountNumberSchema, archivedBy: z.string().min(1) });
export type AccountArchived = z.infer<typeof accountArchivedSchema>;
