import type { EventEmitter } from 'node:events';
import type { RecordedEvent } from '@neuroerp/schemas';
import type { ReadAllOptions, Subscription } from '../port';

export interface PollingSubscriptionOptions {
  fromPosition: bigint | 'start';
  batchSizeMax: number;
  pollMs: number;
  readAll(options: ReadAllOptions): Promise<RecordedEvent[]>;
  /** Emits 'appended' when new events were committed. */
  wakeups: EventEmitter;
  onStop(subscription: PollingSubscription): void;
}

/**
 * Catch-up then live, by reading the global log in bounded batches. The next batch is
 * read only when the consumer has taken the previous one (back-pressure). When caught up it
 * sleeps until a commit notification or the poll interval, whichever comes first.
 */
export class PollingSubscription implements Subscription {
  private stopped = false;
  private wake: (() => void) | null = null;
  private iterated = false;
  /** The read or sleep in progress, if any: what `stop()` waits for. */
  private work: Promise<unknown> | null = null;

  constructor(private readonly options: PollingSubscriptionOptions) {}

  async *[Symbol.asyncIterator](): AsyncIterator<RecordedEvent> {
    if (this.iterated) throw new Error('a subscription can be iterated only once');
    this.iterated = true;
    const onAppended = () => this.wake?.();
    this.options.wakeups.on('appended', onAppended);
    let checkpoint = this.options.fromPosition;
    try {
      while (!this.stopped) {
        const batch = await this.track(this.options.readAll({ fromPosition: checkpoint, maxCount: this.options.batchSizeMax }));
        for (const event of batch) {
          if (this.stopped) return;
          yield event;
          checkpoint = event.globalPosition;
        }
        if (batch.length < this.options.batchSizeMax && !this.stopped) await this.track(this.sleep());
      }
    } finally {
      this.options.wakeups.off('appended', onAppended);
      this.options.onStop(this);
    }
  }

  private async track<T>(work: Promise<T>): Promise<T> {
    this.work = work;
    try {
      return await work;
    } finally {
      this.work = null;
    }
  }

  private sleep(): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wake = null;
        resolve();
      };
      const timer = setTimeout(done, this.options.pollMs);
      this.wake = done;
      if (this.stopped) done();
    });
  }

  /**
   * No event is delivered after `stop()`; it resolves once no read is in flight any more.
   * The consumer's `for await` loop ends at its next step.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    this.options.onStop(this);
    await this.work?.catch(() => undefined);
  }
}
