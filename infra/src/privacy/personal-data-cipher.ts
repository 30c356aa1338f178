import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { privacy, type NewEvent } from '@neuroerp/schemas';
import type { DataKeyLookup, PostgresDataKeyStore } from './data-key-store';
import { PrivacyError } from './errors';

const IV_BYTES = 12;
const TAG_BYTES = 16;
/** Encrypted personal fields are strings `pd1:<subject id>:<base64url of iv, tag and ciphertext>`. */
const ENVELOPE = /^pd1:([^:]{1,200}):([A-Za-z0-9_-]+)$/;
/** The reserved key (never a subject id) under which party subject ids are derived. */
const PARTY_ID_KEY = '$party-ids';

/** The part of the data key store the cipher needs. */
export type DataKeys = Pick<PostgresDataKeyStore, 'lookup'>;

type Json = Record<string, unknown>;

interface FieldSlot {
  holder: Json;
  path: readonly string[];
  /** Where the field sits in the event data, bound into the ciphertext (a value cannot move to another field). */
  location: string;
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The objects at `at` (a `'*'` step enters every element of an array), each with its location. */
function holdersAt(data: unknown, at: readonly string[], location = ''): { holder: Json; location: string }[] {
  if (at.length === 0) return isObject(data) ? [{ holder: data, location }] : [];
  const [step, ...rest] = at as [string, ...string[]];
  if (step === '*') return Array.isArray(data) ? data.flatMap((item, index) => holdersAt(item, rest, `${location}[${index}]`)) : [];
  return isObject(data) ? holdersAt(data[step], rest, location === '' ? step : `${location}.${step}`) : [];
}

function fieldOf(holder: Json, path: readonly string[]): unknown {
  let value: unknown = holder;
  for (const step of path) value = isObject(value) ? value[step] : undefined;
  return value;
}

function setField(holder: Json, path: readonly string[], value: string): void {
  let target: unknown = holder;
  for (const step of path.slice(0, -1)) target = isObject(target) ? target[step] : undefined;
  if (isObject(target)) target[path[path.length - 1] as string] = value;
}

/** The personal string fields of an event with their holders (on a deep copy of the data that the caller may modify). */
function personalSlots(type: string, data: unknown): { data: unknown; slots: { slot: FieldSlot; holderIndex: number; holders: readonly privacy.PersonalDataHolder[] }[] } | null {
  const holders = privacy.PERSONAL_DATA[type];
  if (holders === undefined || !isObject(data)) return null;
  const copy = structuredClone(data);
  const slots: { slot: FieldSlot; holderIndex: number; holders: readonly privacy.PersonalDataHolder[] }[] = [];
  holders.forEach((description, holderIndex) => {
    for (const { holder, location } of holdersAt(copy, description.at)) {
      for (const path of description.fields) {
        if (typeof fieldOf(holder, path) === 'string') slots.push({ slot: { holder, path, location: `${location}${location === '' ? '' : '.'}${path.join('.')}` }, holderIndex, holders });
      }
    }
  });
  return { data: copy, slots };
}

function seal(key: Buffer, subjectId: string, location: string, plaintext: string): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(`${subjectId}|${location}`));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return `pd1:${subjectId}:${Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url')}`;
}

function open(key: Buffer, subjectId: string, location: string, sealed: Buffer): string {
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(`${subjectId}|${location}`));
    decipher.setAuthTag(sealed.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    return Buffer.concat([decipher.update(sealed.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
  } catch {
    throw new PrivacyError('PERSONAL_DATA_UNREADABLE', `personal data of ${subjectId} at ${location} does not decrypt with its data key: the event was altered`);
  }
}

/**
 * Encrypts the personal fields of new events per data subject (PERSONAL_DATA in schemas)
 * and decrypts them for readers. A forgotten subject's fields read as `ERASED`; the stored
 * bytes, and so the hash chain, never change.
 */
export class PersonalDataCipher {
  constructor(private readonly keys: DataKeys) {}

  /** The subject id of a party (a keyed hash of its natural key) or a user. */
  async subjectIdOf(ref: privacy.PersonalSubjectRef): Promise<string> {
    if (ref.kind === 'user') return `user-${ref.id}`;
    const key = (await this.keys.lookup([PARTY_ID_KEY], { create: true })).get(PARTY_ID_KEY);
    if (key?.state !== 'key') throw new PrivacyError('PERSONAL_DATA_UNREADABLE', 'the key deriving party subject ids is missing');
    return `party-${createHmac('sha256', key.key).update(ref.naturalKey, 'utf8').digest('hex').slice(0, 32)}`;
  }

  /** The events with their personal fields encrypted; an event of a forgotten subject is refused (SUBJECT_FORGOTTEN). */
  async protect(events: readonly NewEvent[]): Promise<NewEvent[]> {
    const planned = events.map((event) => ({ event, found: personalSlots(event.type, event.data) }));
    if (planned.every(({ found }) => found === null || found.slots.length === 0)) return [...events];
    const subjectOf = new Map<FieldSlot, string>();
    for (const { found } of planned) {
      for (const { slot, holderIndex, holders } of found?.slots ?? []) {
        const ref = (holders[holderIndex] as privacy.PersonalDataHolder).subject(slot.holder, found?.data as Json);
        if (ref !== null) subjectOf.set(slot, await this.subjectIdOf(ref));
      }
    }
    const keys = await this.keys.lookup([...subjectOf.values()], { create: true });
    return planned.map(({ event, found }) => {
      if (found === null || found.slots.length === 0) return event;
      for (const { slot } of found.slots) {
        const subjectId = subjectOf.get(slot);
        if (subjectId === undefined) continue;
        const key = keys.get(subjectId) as DataKeyLookup;
        if (key.state !== 'key') throw new PrivacyError('SUBJECT_FORGOTTEN', `${subjectId} was forgotten (GDPR erasure): no new personal data is recorded for it`);
        setField(slot.holder, slot.path, seal(key.key, subjectId, slot.location, fieldOf(slot.holder, slot.path) as string));
      }
      return { ...event, data: found.data };
    });
  }

  /** The events with their personal fields decrypted, or `ERASED` where the subject was forgotten. Other events are returned as they are. */
  async reveal<Event extends { type: string; data: unknown }>(events: readonly Event[]): Promise<Event[]> {
    const planned = events.map((event) => ({ event, found: privacy.PERSONAL_DATA[event.type] === undefined ? null : personalSlots(event.type, event.data) }));
    const sealed = new Map<FieldSlot, { subjectId: string; bytes: Buffer }>();
    for (const { found } of planned) {
      for (const { slot } of found?.slots ?? []) {
        const match = ENVELOPE.exec(fieldOf(slot.holder, slot.path) as string);
        if (match !== null) sealed.set(slot, { subjectId: match[1] as string, bytes: Buffer.from(match[2] as string, 'base64url') });
      }
    }
    if (sealed.size === 0) return [...events];
    const keys = await this.keys.lookup([...new Set([...sealed.values()].map(({ subjectId }) => subjectId))], { create: false });
    return planned.map(({ event, found }) => {
      if (found === null || !found.slots.some(({ slot }) => sealed.has(slot))) return event;
      for (const { slot } of found.slots) {
        const envelope = sealed.get(slot);
        if (envelope === undefined) continue;
        const key = keys.get(envelope.subjectId) as DataKeyLookup;
        setField(slot.holder, slot.path, key.state === 'key' ? open(key.key, envelope.subjectId, slot.location, envelope.bytes) : privacy.ERASED);
      }
      return { ...event, data: found.data };
    });
  }
}
