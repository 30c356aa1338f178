import type { NewEvent, RecordedEvent } from '@neuroerp/schemas';
import type { AppendOptions, AppendResult, EventStore, ReadAllOptions, ReadStreamOptions, Subscription, SubscribeToAllOptions } from '../event-store/port';
import type { PersonalDataCipher } from './personal-data-cipher';

/**
 * The event store as command handlers, process managers and exports see it: personal fields
 * are encrypted on append and decrypted (or `ERASED`) on every read. The inner store keeps
 * only ciphertext, so its hash chain, backups, the Kafka relay and `verify` never see
 * plaintext, and forgetting a subject changes no stored byte.
 */
export class PersonalDataEventStore implements EventStore {
  constructor(
    readonly inner: EventStore,
    private readonly cipher: PersonalDataCipher,
  ) {}

  async appendToStream(streamId: string, events: readonly NewEvent[], options: AppendOptions): Promise<AppendResult> {
    return this.inner.appendToStream(streamId, await this.cipher.protect(events), options);
  }

  async readStream(streamId: string, options: ReadStreamOptions): Promise<RecordedEvent[]> {
    return this.cipher.reveal(await this.inner.readStream(streamId, options));
  }

  async readAll(options: ReadAllOptions): Promise<RecordedEvent[]> {
    return this.cipher.reveal(await this.inner.readAll(options));
  }

  subscribeToAll(options: SubscribeToAllOptions): Subscription {
    const inner = this.inner.subscribeToAll(options);
    const cipher = this.cipher;
    return {
      stop: () => inner.stop(),
      async *[Symbol.asyncIterator]() {
        for await (const event of inner) yield ((await cipher.reveal([event])) as [RecordedEvent])[0];
      },
    };
  }

  ping(): Promise<void> {
    return this.inner.ping();
  }

  /** Closes nothing: the inner store belongs to whoever opened it. */
  async close(): Promise<void> {}
}
