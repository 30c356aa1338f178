import { randomUUID } from 'node:crypto';
import path from 'node:path';
import * as schemas from '@neuroerp/schemas';
import { dropInactiveTableSet, dropReplay, holdsPersonalData, listReplays, rebuildProjection } from '@neuroerp/projections';
import { UsageError } from './cli-errors';
import type { ProjectionService } from './projections';
import { Gauge, Registry } from 'prom-client';
import { loadMasterKeyRing, MASTER_KEY_ROTATION_DAYS, masterKeyAgeDays, PersonalDataCipher, PersonalDataEventStore, PostgresDataKeyStore, type EventStore } from '@neuroerp/infra';
import type { ServerConfig } from './config';

/** The privacy layer of one process: the data keys (in the store's database) and the cipher over them. */
export interface Privacy {
  keys: PostgresDataKeyStore;
  cipher: PersonalDataCipher;
  /** The store as command handlers see it: personal fields encrypted on append, decrypted on read. */
  protect(store: EventStore): PersonalDataEventStore;
  close(): Promise<void>;
}

/** Opens the master key ring (PRIVACY_MASTER_KEYS, or DATA_DIR/keys) and the data keys beside the event store. */
export async function openPrivacy(config: ServerConfig, connectionString: string): Promise<Privacy> {
  const ring = await loadMasterKeyRing({ configuredKeys: config.PRIVACY_MASTER_KEYS, keysDir: path.join(config.DATA_DIR, 'keys') });
  const keys = await PostgresDataKeyStore.connect({ connectionString, schema: config.EVENT_STORE_SCHEMA, ring });
  const cipher = new PersonalDataCipher(keys);
  return { keys, cipher, protect: (store) => new PersonalDataEventStore(store, cipher), close: () => keys.close() };
}

export interface ForgetOptions {
  privacy: Privacy;
  /** The raw store (the privacy event carries no personal data). */
  store: EventStore;
  projections: ProjectionService;
  subjectId: string;
  reason: string;
  /** Who asked for the erasure (recorded in the event's metadata). */
  actor: { userId: string; role: 'admin' };
  now: Date;
  onRebuildProgress?: (projection: string, position: bigint, head: bigint) => void;
}

export interface ForgetReport {
  subjectId: string;
  /** false: the subject had no data key (nothing recorded for it yet); its tombstone still keeps it from ever being recorded. */
  keyDestroyed: boolean;
  alreadyForgotten: boolean;
  /** Position of the `privacy.subject_forgotten` event; null when it was forgotten before. */
  position: string | null;
  rebuilt: { name: string; events: string; seconds: number; droppedTableSet: string | null }[];
  droppedReplays: string[];
}

/**
 * GDPR erasure by crypto-shredding: destroys the subject's data key, records
 * `privacy.subject_forgotten` in the log, rebuilds every read model that holds personal data
 * (the rebuilt tables read ERASED where the subject's data was; the replaced ones are dropped)
 * and drops replay copies of them. The events, the amounts and the hash chain stay as they were.
 */
export async function forgetSubject(options: ForgetOptions): Promise<ForgetReport> {
  const parsed = schemas.privacy.subjectIdSchema.safeParse(options.subjectId);
  if (!parsed.success) throw new UsageError(`${options.subjectId}: ${parsed.error.issues[0]?.message ?? 'not a subject id'}`);
  const { subjectId } = options;
  const destroyed = await options.privacy.keys.forget(subjectId, options.now);
  let position: string | null = null;
  if (!destroyed.alreadyForgotten) {
    const data: schemas.privacy.SubjectForgotten = { subjectId, forgottenAt: options.now.toISOString(), reason: options.reason };
    const appended = await options.store.appendToStream(
      schemas.privacy.privacyStreamId(subjectId),
      [
        {
          eventId: randomUUID(),
          type: schemas.privacy.SUBJECT_FORGOTTEN,
          schemaVersion: 1,
          data: schemas.privacy.subjectForgottenSchema.parse(data),
          metadata: { actor: options.actor, correlationId: `gdpr-forget-${randomUUID()}`, causationId: null, occurredAt: options.now.toISOString(), requestId: null, reason: options.reason },
        },
      ],
      { expectedVersion: 'any' },
    );
    position = appended.position.toString();
  }
  const service = options.projections;
  const rebuilt: ForgetReport['rebuilt'] = [];
  for (const projection of service.projections.filter(holdsPersonalData)) {
    // No verification: it would compare with (and list rows of) the tables that still hold the plaintext.
    const result = await rebuildProjection({
      db: service.db,
      controlSchema: service.controlSchema,
      store: service.options.store,
      projection,
      headPosition: service.headPosition,
      skipVerify: true,
      onProgress: (at, head) => options.onRebuildProgress?.(projection.name, at, head),
    });
    let droppedTableSet: string | null = null;
    if (result.previous !== null && result.previous.schema !== result.rebuilt.schema) {
      await dropInactiveTableSet(service.db, service.controlSchema, result.previous);
      droppedTableSet = result.previous.schema;
    }
    rebuilt.push({ name: projection.name, events: result.events.toString(), seconds: result.seconds, droppedTableSet });
  }
  const names = new Set(rebuilt.map((item) => item.name));
  const droppedReplays: string[] = [];
  for (const replay of await listReplays(service.db, service.controlSchema)) {
    if (names.has(replay.name) && (await dropReplay(service.db, service.controlSchema, replay.schema))) droppedReplays.push(replay.schema);
  }
  return { subjectId, keyDestroyed: destroyed.existed, alreadyForgotten: destroyed.alreadyForgotten, position, rebuilt, droppedReplays };
}

/**
 * `privacy_master_key_age_days`: days since the current master key version was created (a file-backed
 * ring is re-read at each scrape, so a rotation by `neuroerp keys rotate` shows at once). Alerted at 30.
 */
export function privacyMetrics(privacy: Privacy): Registry {
  const registry = new Registry();
  const ring = privacy.keys.ring;
  new Gauge({
    name: 'privacy_master_key_age_days',
    help: `Days since the current master key version of personal-data encryption was created; rotate every ${MASTER_KEY_ROTATION_DAYS} days (neuroerp keys rotate).`,
    registers: [registry],
    async collect() {
      await ring.refresh();
      this.set(masterKeyAgeDays(ring, new Date()));
    },
  });
  return registry;
}
