import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import { api } from '../api/instance';
import { saveBlob } from './accounts';
import { createTask } from './task';

/** The answer of GET /api/finance/inalterability-report (command-api/src/ledger/inalterability-report.ts). */
export const INALTERABILITY_REPORT_PATH = '/api/finance/inalterability-report';
/** The published Ed25519 seal verification keys. */
export const SEAL_KEYS_PATH = '/.well-known/neuroerp-seal-keys.json';

export interface PeriodHistoryEntry {
  companyId: string;
  year: number;
  period: number;
  status: 'open' | 'soft_locked' | 'closed';
  closedAt: string | null;
  closedBy: string | null;
  sealPosition: string | null;
}

export interface LaterCorrection {
  transactionId: string;
  globalPosition: string;
  period: number;
  postingDate: string;
  voucherNumber: number;
  kind: 'posting_into_sealed_period' | 'reversal_of_sealed_posting';
  reversesTransactionId: string | null;
  reason: string | null;
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
  closingBalances: { accountNumber: string; balanceMinor: string }[];
  asKnownAtMatches: boolean;
  laterCorrections: LaterCorrection[];
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
  verification: { ok: boolean; eventsChecked: number; headPosition: string | null; headHash: string; chain: string; sealProblems: string[] };
  periods: PeriodHistoryEntry[];
  seals: SealReportEntry[];
  reopenEvents: ReopenReportEntry[];
}

/** A later correction with the seal (period) it affects. */
export interface CorrectionRow extends LaterCorrection {
  sealedYear: number;
  sealedPeriod: number;
  sealPosition: string;
}

/** Every check of a seal passed. */
export function sealIntact(seal: SealReportEntry): boolean {
  return seal.signatureValid && seal.merkleRootValid && seal.chainHeadValid && seal.closeEventValid && seal.asKnownAtMatches;
}

/** The inalterability report (audit:read): verification, periods with seals, reopenings, later corrections; CSV download. */
export const useInalterabilityStore = defineStore('inalterability', () => {
  const report = ref<InalterabilityReport | null>(null);
  const task = createTask();
  const downloadTask = createTask();

  /** Periods that were closed at least once (a seal exists) or are closed now. */
  const closedPeriods = computed(() => (report.value?.periods ?? []).filter((period) => period.status === 'closed' || period.sealPosition !== null));
  const corrections = computed<CorrectionRow[]>(() =>
    (report.value?.seals ?? []).flatMap((seal) => seal.laterCorrections.map((correction) => ({ ...correction, sealedYear: seal.year, sealedPeriod: seal.period, sealPosition: seal.position }))),
  );
  /** No period was ever closed, so nothing is sealed yet. */
  const nothingSealed = computed(() => report.value !== null && report.value.seals.length === 0 && closedPeriods.value.length === 0);

  async function load(): Promise<void> {
    const answer = await task.run(() => api().get<InalterabilityReport>(INALTERABILITY_REPORT_PATH));
    if (answer !== undefined) report.value = answer;
  }

  /** Fetches the CSV with the token as a blob and saves it; false when it failed (downloadTask.error). */
  async function downloadCsv(save: (fileName: string, blob: Blob) => void = saveBlob): Promise<boolean> {
    const blob = await downloadTask.run(() => api().blob(INALTERABILITY_REPORT_PATH, { format: 'csv' }));
    if (blob === undefined) return false;
    save('inalterability-report.csv', blob);
    return true;
  }

  return { report, task, downloadTask, closedPeriods, corrections, nothingSealed, load, downloadCsv };
});
