import { z } from 'zod';
import { fiscalYearNumberSchema, periodNumberSchema } from './fiscal-years';
import { accountNumberSchema, currencyCodeSchema, idSchema, minorUnitsSchema, timestampSchema } from './primitives';

/**
 * Period seals (docs/adr/0006-period-seals.md). A seal is appended to the stream
 * `ledger.seals-<companyId>` right after a period is closed. Its `body` is what is signed:
 * Ed25519 over the RFC 8785 canonical JSON of `body`, nothing else.
 */

/** The seal format; a verifier refuses a body of another version instead of guessing. */
export const SEAL_FORMAT = 'neuroerp-period-seal/1';
/** Most accounts a seal lists; far above any chart we know, bounded. */
export const SEAL_ACCOUNTS_MAX = 100_000;

const sha256HexSchema = z.string().regex(/^[0-9a-f]{64}$/, 'must be a SHA-256 hash in lower-case hex');
/** Global positions travel as decimal strings: JSON has no 64-bit integers. */
const positionSchema = z.string().regex(/^[1-9][0-9]{0,18}$/, 'must be a positive integer string');

/** A position in the global log with the hash of the event there. */
export const chainPointSchema = z.object({ position: positionSchema, hash: sha256HexSchema });
export type ChainPoint = z.infer<typeof chainPointSchema>;

/** An account's balance at the end of the sealed period: debit minus credit, company currency, year to date. */
export const sealedBalanceSchema = z.object({ accountNumber: accountNumberSchema, balanceMinor: minorUnitsSchema });
export type SealedBalance = z.infer<typeof sealedBalanceSchema>;

export const periodSealBodySchema = z.object({
  format: z.literal(SEAL_FORMAT),
  companyId: idSchema,
  year: fiscalYearNumberSchema,
  period: periodNumberSchema,
  /** The fiscal-year stream whose events the Merkle root covers. */
  fiscalYearStreamId: z.string().min(1).max(200),
  /** The `ledger.period_closed` event: its stream version (the last leaf) and its place in the log. */
  closeEvent: chainPointSchema.extend({ streamVersion: z.number().int().min(0) }),
  /** Leaves: the hashes of the fiscal-year stream's events, versions 0..closeEvent.streamVersion. */
  merkleLeafCount: z.number().int().min(1),
  merkleRoot: sha256HexSchema,
  /** The global chain head when the seal was computed (at or after the close event). */
  chainHead: chainPointSchema,
  companyCurrency: currencyCodeSchema,
  /** Sorted by account number; accounts whose balance is zero are left out. */
  closingBalances: z.array(sealedBalanceSchema).max(SEAL_ACCOUNTS_MAX),
  sealedAt: timestampSchema,
});
export type PeriodSealBody = z.infer<typeof periodSealBodySchema>;

/** Stream `ledger.seals-<companyId>`: a period's contents are fixed by a signed seal. */
export const periodSealedSchema = z.object({
  companyId: idSchema,
  year: fiscalYearNumberSchema,
  period: periodNumberSchema,
  body: periodSealBodySchema,
  /** Key id: the first 16 hex digits of SHA-256 over the public key's DER (SPKI). */
  kid: z.string().regex(/^[0-9a-f]{16}$/),
  alg: z.literal('Ed25519'),
  /** Ed25519 signature over canonicalize(body), base64url without padding. */
  signature: z.string().regex(/^[A-Za-z0-9_-]{86}$/),
  sealedBy: z.string().min(1),
});
export type PeriodSealed = z.infer<typeof periodSealedSchema>;
