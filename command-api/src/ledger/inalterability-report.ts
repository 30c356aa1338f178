import type { KeyObject } from 'node:crypto';
import { Router } from 'express';
import { seals as sealRules } from '@neuroerp/domains';
import {
  describeChainVerification,
  describeSealBreak,
  FISCAL_YEAR_STREAM_PREFIX,
  LogVerifier,
  readWholeLog,
  type EventStore,
} from '@neuroerp/infra';
import { ledger as wire, type RecordedEvent } from '@neuroerp/schemas';
import { requirePermission } from '../auth/permissions';

/**
 * The inalterability report (issue 9): what an auditor needs to judge that the books were
 * not changed after the fact. One walk over the whole log verifies the hash chain and every
 * seal (the same LogVerifier as `npx neuroerp verify`) and collects every period's history,
 * the seals, reopenings with their reasons and corrections recorded after a seal.
 */

export const INALTERABILITY_REPORT_PATH = '/api/finance/inalterability-report';

export interface PeriodHistoryEntry {
  companyId: string;
  year: number;
  period: number;
  /** The last status change: open (never locked), soft_locked, closed; reopened means back to open. */
  status: 'open' | 'soft_locked' | 'closed';
  closedAt: string | null;
  closedBy: string | null;
  sealPosition: string | null;
}

export interface SealReportEntry {
  companyId: string;
  year: number;
  period: number;
  position: string;
  kid: string;
  chainHeadPosition: string | null;
  chainHeadHash: string | null;
  merkleRoot: string | null;
  sealedAt: string | null;
  signatureValid: boolean;
  merkleRootValid: boolean;
  chainHeadValid: boolean;
  closeEventValid: boolean;
  closingBalances: wire.SealedBalance[];
  /** The period's trial balance regenerated from the log as at the seal's close: equal to closingBalances when intact. */
  asKnownAtMatches: boolean;
  laterCorrections: sealRules.LaterCorrection[];
}

export interface ReopenReportEntry {
  companyId: string;
  year: number;
  period: number;
  position: string;
  reopenedBy: string;
  reopenedAt: string;
  reason: string | null;
}

export interface InalterabilityReport {
  generatedAt: string;
  verification: {
    ok: boolean;
    eventsChecked: number;
    headPosition: string | null;
    headHash: string;
    chain: string;
    sealProblems: string[];
  };
  periods: PeriodHistoryEntry[];
  seals: SealReportEntry[];
  reopenEvents: ReopenReportEntry[];
}

export interface InalterabilityReportOptions {
  store: Pick<EventStore, 'readAll'>;
  /** Seal verification keys by key id. */
  keys: ReadonlyMap<string, KeyObject>;
  /** The head the store recorded (PostgresEventStore.readHead): a cut-off tail is detected too. */
  readHead?: () => Promise<{ position: bigint; hash: string }>;
  clock?: () => Date;
}

/** Builds the report in one walk over the log; memory grows with the number of fiscal-year postings. */
export async function buildInalterabilityReport(options: InalterabilityReportOptions): Promise<InalterabilityReport> {
  const head = options.readHead === undefined ? null : await options.readHead();
  const verifier = new LogVerifier({ keys: options.keys });
  const periods = new Map<string, PeriodHistoryEntry>();
  const fiscalYearEvents = new Map<string, { type: string; data: unknown; globalPosition: bigint }[]>();
  const sealEvents: { position: bigint; seal: wire.PeriodSealed }[] = [];
  const reopenEvents: ReopenReportEntry[] = [];

  for await (const event of readWholeLog(options.store)) {
    if (!verifier.check(event)) break;
    if (event.streamId.startsWith(FISCAL_YEAR_STREAM_PREFIX)) collectFiscalYearEvent(event, periods, fiscalYearEvents, reopenEvents);
    if (event.type === 'ledger.period_sealed') {
      const parsed = wire.periodSealedSchema.safeParse(event.data);
      if (parsed.success) sealEvents.push({ position: event.globalPosition, seal: parsed.data });
    }
  }
  const verification = verifier.finish(head);

  const checks = new Map(verification.seals.map((check) => [check.position, check]));
  const sealEntries: SealReportEntry[] = sealEvents.map(({ position, seal }) => {
    const check = checks.get(position);
    const events = fiscalYearEvents.get(seal.body.fiscalYearStreamId) ?? [];
    const closePosition = BigInt(seal.body.closeEvent.position);
    const period = periods.get(periodKey(seal.companyId, seal.year, seal.period));
    if (period !== undefined) period.sealPosition = position.toString();
    return {
      companyId: seal.companyId,
      year: seal.year,
      period: seal.period,
      position: position.toString(),
      kid: seal.kid,
      chainHeadPosition: seal.body.chainHead.position,
      chainHeadHash: seal.body.chainHead.hash,
      merkleRoot: seal.body.merkleRoot,
      sealedAt: seal.body.sealedAt,
      signatureValid: check?.signatureValid ?? false,
      merkleRootValid: check?.merkleRootValid ?? false,
      chainHeadValid: check?.chainHeadValid ?? false,
      closeEventValid: check?.closeEventValid ?? false,
      closingBalances: seal.body.closingBalances,
      asKnownAtMatches: sameBalances(sealRules.trialBalanceAsKnownAt(events, seal.period, closePosition), seal.body.closingBalances),
      laterCorrections: sealRules.laterCorrections(events, seal.period, position),
    };
  });

  return {
    generatedAt: (options.clock ?? (() => new Date()))().toISOString(),
    verification: {
      ok: verification.ok,
      eventsChecked: verification.chain.eventsChecked,
      headPosition: verification.chain.headPosition?.toString() ?? null,
      headHash: verification.chain.headHash,
      chain: describeChainVerification(verification.chain),
      sealProblems: verification.sealBreaks.map(describeSealBreak),
    },
    periods: [...periods.values()].sort((a, b) => a.companyId.localeCompare(b.companyId) || a.year - b.year || a.period - b.period),
    seals: sealEntries,
    reopenEvents,
  };
}

const periodKey = (companyId: string, year: number, period: number) => `${companyId}|${year}|${period}`;

function collectFiscalYearEvent(
  event: RecordedEvent,
  periods: Map<string, PeriodHistoryEntry>,
  fiscalYearEvents: Map<string, { type: string; data: unknown; globalPosition: bigint }[]>,
  reopenEvents: ReopenReportEntry[],
): void {
  if (event.type === 'ledger.fiscal_year_opened') {
    const opened = event.data as wire.FiscalYearOpened;
    for (let period = 1; period <= wire.PERIODS_PER_FISCAL_YEAR; period += 1) {
      periods.set(periodKey(opened.companyId, opened.year, period), { companyId: opened.companyId, year: opened.year, period, status: 'open', closedAt: null, closedBy: null, sealPosition: null });
    }
  }
  if (event.type === 'ledger.transaction_posted') {
    let events = fiscalYearEvents.get(event.streamId);
    if (events === undefined) fiscalYearEvents.set(event.streamId, (events = []));
    events.push({ type: event.type, data: event.data, globalPosition: event.globalPosition });
  }
  const periodEvent = event.data as { companyId: string; year: number; period: number };
  const entry = periods.get(periodKey(periodEvent.companyId, periodEvent.year, periodEvent.period));
  if (entry === undefined) return;
  if (event.type === 'ledger.period_soft_locked') entry.status = 'soft_locked';
  if (event.type === 'ledger.period_closed') Object.assign(entry, { status: 'closed', closedAt: event.metadata.recordedAt, closedBy: (event.data as wire.PeriodClosed).closedBy });
  if (event.type === 'ledger.period_reopened') {
    entry.status = 'open';
    const reopened = event.data as wire.PeriodReopened;
    reopenEvents.push({
      companyId: reopened.companyId,
      year: reopened.year,
      period: reopened.period,
      position: event.globalPosition.toString(),
      reopenedBy: reopened.reopenedBy,
      reopenedAt: event.metadata.recordedAt,
      reason: event.metadata.reason ?? null,
    });
  }
}

function sameBalances(a: readonly wire.SealedBalance[], b: readonly wire.SealedBalance[]): boolean {
  return a.length === b.length && a.every((balance, index) => balance.accountNumber === b[index]?.accountNumber && balance.balanceMinor === b[index]?.balanceMinor);
}

// ---- CSV ------------------------------------------------------------------------------------

const CSV_COLUMNS = [
  'record',
  'company_id',
  'year',
  'period',
  'position',
  'status',
  'kid',
  'chain_head_position',
  'chain_head_hash',
  'merkle_root',
  'signature_valid',
  'merkle_root_valid',
  'chain_head_valid',
  'as_known_at_matches',
  'actor',
  'at',
  'reason',
  'detail',
] as const;
type CsvRow = Partial<Record<(typeof CSV_COLUMNS)[number], string | number | boolean | null>>;

/** One RFC 4180 field; a cell that starts like a formula is prefixed with `'` (CSV injection). */
function csvField(value: string | number | boolean | null | undefined): string {
  if (value === null || value === undefined) return '';
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text) && !/^-?[0-9]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/**
 * The report as one CSV table, a `record` column saying what each row is: `verification`,
 * `period`, `seal`, `correction` (a later correction of the seal row before it), `reopen`.
 */
export function inalterabilityReportCsv(report: InalterabilityReport): string {
  const rows: CsvRow[] = [
    {
      record: 'verification',
      status: report.verification.ok ? 'ok' : 'broken',
      position: report.verification.headPosition,
      chain_head_hash: report.verification.headHash,
      at: report.generatedAt,
      detail: [report.verification.chain, ...report.verification.sealProblems].join(' | '),
    },
  ];
  for (const period of report.periods) {
    rows.push({ record: 'period', company_id: period.companyId, year: period.year, period: period.period, status: period.status, position: period.sealPosition, actor: period.closedBy, at: period.closedAt });
  }
  for (const seal of report.seals) {
    rows.push({
      record: 'seal',
      company_id: seal.companyId,
      year: seal.year,
      period: seal.period,
      position: seal.position,
      status: seal.signatureValid && seal.merkleRootValid && seal.chainHeadValid && seal.closeEventValid ? 'valid' : 'invalid',
      kid: seal.kid,
      chain_head_position: seal.chainHeadPosition,
      chain_head_hash: seal.chainHeadHash,
      merkle_root: seal.merkleRoot,
      signature_valid: seal.signatureValid,
      merkle_root_valid: seal.merkleRootValid,
      chain_head_valid: seal.chainHeadValid,
      as_known_at_matches: seal.asKnownAtMatches,
      at: seal.sealedAt,
      detail: `${seal.closingBalances.length} closing balances, ${seal.laterCorrections.length} later corrections`,
    });
    for (const correction of seal.laterCorrections) {
      rows.push({
        record: 'correction',
        company_id: seal.companyId,
        year: seal.year,
        period: seal.period,
        position: correction.globalPosition,
        status: correction.kind,
        at: correction.postingDate,
        reason: correction.reason,
        detail: `transaction ${correction.transactionId} (voucher ${correction.voucherNumber}, period ${correction.period})${correction.reversesTransactionId === null ? '' : ` reverses ${correction.reversesTransactionId}`}`,
      });
    }
  }
  for (const reopen of report.reopenEvents) {
    rows.push({ record: 'reopen', company_id: reopen.companyId, year: reopen.year, period: reopen.period, position: reopen.position, actor: reopen.reopenedBy, at: reopen.reopenedAt, reason: reopen.reason });
  }
  const lines = [CSV_COLUMNS.join(','), ...rows.map((row) => CSV_COLUMNS.map((column) => csvField(row[column])).join(','))];
  return `${lines.join('\r\n')}\r\n`;
}

/**
 * `GET /api/finance/inalterability-report[?format=csv]`, permission `audit:read` (auditors
 * and admins). Mount behind the authentication middleware.
 */
export function createInalterabilityReportRouter(options: InalterabilityReportOptions): Router {
  const router = Router();
  router.get(INALTERABILITY_REPORT_PATH, requirePermission('audit:read'), (req, res, next) => {
    buildInalterabilityReport(options)
      .then((report) => {
        if (req.query.format === 'csv') {
          res.set('Content-Type', 'text/csv; charset=utf-8');
          res.set('Content-Disposition', 'attachment; filename="inalterability-report.csv"');
          res.send(inalterabilityReportCsv(report));
        } else res.json(report);
      })
      .catch(next);
  });
  return router;
}
