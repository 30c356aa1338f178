import { z } from 'zod';

/**
 * Which fields of which events hold personal data, and whose data they are (the data
 * subject). The event store's privacy layer encrypts exactly these string fields per
 * subject (AES-256-GCM, a data key per subject); forgetting a subject destroys its key, and
 * every reader then sees `ERASED` in their place. Amounts, dates, ids and the hash chain are
 * never personal data here, so the ledger stays whole and verifiable.
 *
 * Not encrypted, by design: user names (they are the login handle and part of a stream id;
 * pick pseudonymous ones), VAT ids and countries of parties (registry data of businesses).
 */

/** What every reader sees in place of a forgotten subject's personal data. */
export const ERASED = '[erased]';

/** Where a subject's personal fields sit inside event data. */
export interface PersonalDataHolder {
  /** Path from the event data to the object holding the fields; `'*'` steps into every array element. */
  at: readonly string[];
  /** Paths of the string fields inside that object that are personal data. */
  fields: readonly (readonly string[])[];
  /** The subject whose data the object holds: `{ kind: 'user', id }` by id, or a party by its natural key. */
  subject(holder: Record<string, unknown>, data: Record<string, unknown>): PersonalSubjectRef | null;
}

export type PersonalSubjectRef = { kind: 'user'; id: string } | { kind: 'party'; naturalKey: string };

/** Subject ids as `gdpr forget` takes them: `user-<userId>` or `party-<32 hex>` (the latter keyed, see partyNaturalKey). */
export const subjectIdSchema = z
  .string()
  .regex(/^(user-[A-Za-z0-9_-]{1,100}|party-[0-9a-f]{32})$/, 'a subject id is user-<user id> or party-<32 hex digits> (see `neuroerp gdpr subject-id`)');

const PARTY_FIELDS = [['name'], ['address', 'street'], ['address', 'postalCode'], ['address', 'city']] as const;

/**
 * The natural key of a party (a business partner in a document): its VAT id when it has one,
 * else the normalised name, postal code and country. The privacy layer turns it into a
 * subject id with a keyed hash, so the id does not reveal the name.
 */
export function partyNaturalKey(party: { name?: unknown; vatId?: unknown; address?: unknown }): string | null {
  const normalise = (value: unknown): string => (typeof value === 'string' ? value.normalize('NFC').trim().toLowerCase().replace(/\s+/g, ' ') : '');
  if (typeof party.vatId === 'string' && party.vatId.length > 0) return `vat:${party.vatId.toUpperCase()}`;
  const address = (party.address ?? {}) as { postalCode?: unknown; country?: unknown };
  const name = normalise(party.name);
  if (name === '') return null;
  return `name:${name}|${normalise(address.postalCode)}|${normalise(address.country)}`;
}

const party = (at: readonly string[]): PersonalDataHolder => ({
  at,
  fields: PARTY_FIELDS,
  subject: (holder) => {
    const naturalKey = partyNaturalKey(holder);
    return naturalKey === null ? null : { kind: 'party', naturalKey };
  },
});

const documentContentParties: readonly PersonalDataHolder[] = [party(['content', 'seller']), party(['content', 'buyer']), party(['content', 'parties', '*'])];

/** The catalogue: event type → the holders of personal data in its data. */
export const PERSONAL_DATA: Readonly<Record<string, readonly PersonalDataHolder[]>> = {
  'identity.user_created': [
    {
      at: [],
      fields: [['displayName']],
      subject: (holder) => (typeof holder.userId === 'string' ? { kind: 'user', id: holder.userId } : null),
    },
  ],
  'documents.document_created': documentContentParties,
  'documents.document_updated': documentContentParties,
};

/** The event types that may carry personal data (projections handling one of them hold plaintext). */
export const PERSONAL_DATA_EVENT_TYPES: readonly string[] = Object.keys(PERSONAL_DATA);

/** `privacy.subject_forgotten`: a subject's data key was destroyed (its personal data reads as ERASED from now on). */
export const SUBJECT_FORGOTTEN = 'privacy.subject_forgotten';
export const subjectForgottenSchema = z.object({ subjectId: subjectIdSchema, forgottenAt: z.string().datetime(), reason: z.string().min(1).max(500) }).strict();
export type SubjectForgotten = z.infer<typeof subjectForgottenSchema>;

/** The stream of a subject's privacy events. */
export function privacyStreamId(subjectId: string): string {
  return `privacy.subject-${subjectId}`;
}
