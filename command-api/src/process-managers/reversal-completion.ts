import { ledger as wire } from '@neuroerp/schemas';
import type { LedgerCommands } from '../ledger/commands';
import type { ProcessManager } from './runtime';

export const REVERSAL_COMPLETION = 'reversal-completion';

/**
 * Reversal completion (ADR 0004): a reversal is two appends, the claim on the original's
 * transaction stream and the posting to the fiscal year of the reversal's date. For every
 * claim (`ledger.transaction_reversed`) this process manager runs the second step, which
 * appends nothing when the command already posted it. So a reversal whose second append
 * failed (a crash, a lost connection) completes by itself instead of waiting for a person
 * to repeat the command.
 */
export function reversalCompletion(options: { ledger: LedgerCommands }): ProcessManager {
  return {
    name: REVERSAL_COMPLETION,
    handles: (event) => event.type === 'ledger.transaction_reversed',
    react: async (reaction) => {
      const claim = wire.transactionReversedSchema.parse(reaction.event.data);
      await reaction.command('post-reversal', (context) =>
        options.ledger.postClaimedReversal(context, {
          transactionId: claim.transactionId,
          reversalTransactionId: claim.reversalTransactionId,
          postingDate: claim.reversalPostingDate,
          reason: claim.reason,
        }),
      );
    },
  };
}
