import { fiscalYearStreamId, seals, sealsStreamId } from '@neuroerp/domains';
import { merkleRoot, READ_COUNT_MAX, signSealBody, type EventStore } from '@neuroerp/infra';
import { ledger as wire, type RecordedEvent } from '@neuroerp/schemas';
import type { CommandContext, CommandHandler, StreamModel } from '../command-handling';
import type { SealKey } from './seal-keys';

/**
 * Sealing a closed period (docs/adr/0006-period-seals.md): right after a successful
 * ClosePeriod, the fiscal-year stream is read up to and including that period's
 * `ledger.period_closed`, and a signed `ledger.period_sealed` goes to `ledger.seals-<companyId>`.
 * Sealing a period twice appends nothing, so a repeated close heals a seal that was lost
 * when the process died between the close and the seal.
 */

export const sealsModel: StreamModel<seals.SealsState> = {
  name: 'ledger.seals',
  initialState: seals.initialSealsState,
  evolve: (state, events) => events.reduce(seals.evolveSeals, state),
};

export interface PeriodSealerOptions {
  handler: CommandHandler;
  /** Reads the fiscal-year stream with the recorded hashes. */
  store: Pick<EventStore, 'readStream'>;
  key: SealKey;
  /**
   * The global chain head now (PostgresEventStore.readHead). Without it the seal records
   * the close event itself as the head, which fixes the log up to the close just as well.
   */
  readHead?: () => Promise<{ position: bigint; hash: string }>;
}

export interface SealOutcome {
  streamId: string;
  /** Events appended: 0 when the period had been sealed already. */
  appended: number;
  seal: wire.PeriodSealed;
}

/** The fiscal-year stream's events from version 0 up to and including the close of `period`. */
export async function readUpToClose(store: Pick<EventStore, 'readStream'>, streamId: string, period: number): Promise<RecordedEvent[]> {
  const events: RecordedEvent[] = [];
  let fromVersion = 0;
  for (;;) {
    const page = await store.readStream(streamId, { direction: 'forwards', fromVersion, maxCount: READ_COUNT_MAX });
    for (const event of page) {
      events.push(event);
      if (event.type === 'ledger.period_closed' && (event.data as wire.PeriodClosed).period === period) return events;
    }
    if (page.length < READ_COUNT_MAX) throw new Error(`period ${period} of ${streamId} is not closed: nothing to seal`);
    fromVersion += page.length;
  }
}

/** The seal body of a closed period, from the fiscal-year events up to its close (pure). */
export function computeSealBody(events: readonly RecordedEvent[], input: { companyId: string; year: number; period: number; chainHead: { position: bigint; hash: string }; sealedAt: string }): wire.PeriodSealBody {
  const close = events[events.length - 1];
  if (close === undefined || close.type !== 'ledger.period_closed') throw new Error('a seal is computed over the events up to a period close');
  const opened = events.find((event) => event.type === 'ledger.fiscal_year_opened');
  if (opened === undefined) throw new Error(`${close.streamId} has no ledger.fiscal_year_opened`);
  if (input.chainHead.position < close.globalPosition) throw new Error('the chain head cannot lie before the close it seals');
  return {
    format: wire.SEAL_FORMAT,
    companyId: input.companyId,
    year: input.year,
    period: input.period,
    fiscalYearStreamId: close.streamId,
    closeEvent: { position: close.globalPosition.toString(), hash: close.hash, streamVersion: close.streamVersion },
    merkleLeafCount: events.length,
    merkleRoot: merkleRoot(events.map((event) => event.hash)),
    chainHead: { position: input.chainHead.position.toString(), hash: input.chainHead.hash },
    companyCurrency: (opened.data as wire.FiscalYearOpened).companyCurrency,
    closingBalances: seals.closingBalancesOf(events, input.period),
    sealedAt: input.sealedAt,
  };
}

export class PeriodSealer {
  constructor(private readonly options: PeriodSealerOptions) {}

  get kid(): string {
    return this.options.key.kid;
  }

  /** Seals `period` of `year`, which must be closed. */
  async sealPeriod(context: CommandContext, companyId: string, year: number, period: number): Promise<SealOutcome> {
    const sealsStream = sealsStreamId(companyId);
    // A repeated close finds its seal here without reading the fiscal year again.
    const existing = seals.sealOf((await this.options.handler.load(sealsModel, sealsStream)).state, year, period);
    if (existing !== undefined) return { streamId: sealsStream, appended: 0, seal: existing };
    const events = await readUpToClose(this.options.store, fiscalYearStreamId(companyId, year), period);
    const close = events[events.length - 1] as RecordedEvent;
    const chainHead = this.options.readHead === undefined ? { position: close.globalPosition, hash: close.hash } : await this.options.readHead();
    const { key } = this.options;
    const result = await this.options.handler.handle(
      {
        stream: { model: sealsModel, streamId: sealsStream },
        decide: (snapshot, _read, now) => {
          if (seals.sealOf(snapshot.state, year, period) !== undefined) return [];
          const body = computeSealBody(events, { companyId, year, period, chainHead, sealedAt: now });
          const seal: wire.PeriodSealed = { companyId, year, period, body, kid: key.kid, alg: 'Ed25519', signature: signSealBody(body, key.privateKey), sealedBy: context.actor.userId };
          return seals.decideSealPeriod(snapshot.state, seal);
        },
      },
      context,
    );
    const seal = seals.sealOf(result.state, year, period);
    if (seal === undefined) throw new Error(`sealing ${companyId} ${year}/${period} left no seal`);
    return { streamId: result.streamId, appended: result.appended, seal };
  }
}
