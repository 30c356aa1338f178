import { createHash, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import canonicalize from 'canonicalize';
import { ledger, type RecordedEvent } from '@neuroerp/schemas';
import { ChainVerifier, type ChainVerification } from './hash-chain';
import type { EventStore } from './port';
import { VERIFY_PAGE_SIZE } from './verify-log';

/**
 * Period seals: Merkle roots, Ed25519 signatures and the walk that checks every seal in a
 * log together with the hash chain (docs/adr/0006-period-seals.md). Everything here works on
 * recorded events alone, so the same code verifies the live store and an exported log.
 */

/** The stream family whose events a seal's Merkle root covers. */
export const FISCAL_YEAR_STREAM_PREFIX = 'ledger.fiscal_year-';
export const SEAL_EVENT_TYPE = 'ledger.period_sealed';

const LEAF_PREFIX = Buffer.from([0x00]);
const NODE_PREFIX = Buffer.from([0x01]);

function sha256(...parts: Buffer[]): Buffer {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest();
}

/**
 * The Merkle root over event hashes (hex), in stream order:
 * - leaf node = SHA-256(0x00 ‖ the 32 bytes of the event hash);
 * - parent = SHA-256(0x01 ‖ left ‖ right);
 * - a level with an odd number of nodes carries its last node up unchanged (no duplication,
 *   so no two different leaf lists share a root, unlike Bitcoin's duplicate-last rule);
 * - the root of one leaf is its leaf node. An empty list has no root.
 * The 0x00/0x01 prefixes (RFC 6962) keep a leaf from passing for an inner node.
 */
export function merkleRoot(leafHashesHex: readonly string[]): string {
  if (leafHashesHex.length === 0) throw new Error('a Merkle root needs at least one leaf');
  let level = leafHashesHex.map((hex) => {
    if (!/^[0-9a-f]{64}$/.test(hex)) throw new Error(`Merkle leaf is not a SHA-256 hex hash: ${hex}`);
    return sha256(LEAF_PREFIX, Buffer.from(hex, 'hex'));
  });
  while (level.length > 1) {
    const next: Buffer[] = [];
    for (let index = 0; index < level.length; index += 2) {
      const left = level[index] as Buffer;
      const right = level[index + 1];
      next.push(right === undefined ? left : sha256(NODE_PREFIX, left, right));
    }
    level = next;
  }
  return (level[0] as Buffer).toString('hex');
}

/** The bytes a seal signature covers: RFC 8785 canonical JSON of the body, UTF-8. */
export function sealSigningInput(body: ledger.PeriodSealBody): Buffer {
  const canonical = canonicalize(body);
  if (canonical === undefined) throw new Error('seal body is not serializable');
  return Buffer.from(canonical, 'utf8');
}

/** Key id of a seal key: the first 16 hex digits of SHA-256 over the public key's DER (SPKI). */
export function sealKeyId(key: KeyObject): string {
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  return createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex').slice(0, 16);
}

/** Ed25519 signature over the canonical body, base64url without padding. */
export function signSealBody(body: ledger.PeriodSealBody, privateKey: KeyObject): string {
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new Error('seals are signed with an Ed25519 key');
  return sign(null, sealSigningInput(body), privateKey).toString('base64url');
}

export function verifySealSignature(body: ledger.PeriodSealBody, signature: string, publicKey: KeyObject): boolean {
  if (publicKey.asymmetricKeyType !== 'ed25519') return false;
  return verify(null, sealSigningInput(body), publicKey, Buffer.from(signature, 'base64url'));
}

/** One entry of `/.well-known/neuroerp-seal-keys.json` and of an export's `seal-keys.json`. */
export interface PublishedSealKey {
  kid: string;
  alg: 'Ed25519';
  publicKeyPem: string;
  jwk: { kty: 'OKP'; crv: 'Ed25519'; x: string; kid: string; alg: 'EdDSA'; use: 'sig' };
}

export interface SealKeysDocument {
  keys: PublishedSealKey[];
}

export function publishSealKey(key: KeyObject): PublishedSealKey {
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  const kid = sealKeyId(publicKey);
  const jwk = publicKey.export({ format: 'jwk' }) as { x: string };
  return {
    kid,
    alg: 'Ed25519',
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    jwk: { kty: 'OKP', crv: 'Ed25519', x: jwk.x, kid, alg: 'EdDSA', use: 'sig' },
  };
}

/**
 * The verification keys of a keys document by key id. The kid is recomputed from the PEM,
 * never trusted from the file: a document that names a key wrongly is refused.
 */
export function sealKeysFromDocument(document: unknown): Map<string, KeyObject> {
  const keys = new Map<string, KeyObject>();
  const entries = (document as Partial<SealKeysDocument> | null)?.keys;
  if (!Array.isArray(entries)) throw new Error('a seal keys document has the shape { keys: [{ kid, alg, publicKeyPem }] }');
  for (const entry of entries) {
    const publicKey = createPublicKey(entry.publicKeyPem);
    if (publicKey.asymmetricKeyType !== 'ed25519') throw new Error(`seal key ${entry.kid} is not an Ed25519 key`);
    const kid = sealKeyId(publicKey);
    if (kid !== entry.kid) throw new Error(`seal key listed as ${entry.kid} has key id ${kid}`);
    keys.set(kid, publicKey);
  }
  return keys;
}

/** What verification found wrong about one seal, or about the log's end relative to the seals. */
export type SealBreak =
  | { kind: 'seal_malformed'; position: bigint; detail: string }
  | { kind: 'seal_unknown_key'; position: bigint; kid: string }
  | { kind: 'seal_signature_invalid'; position: bigint; kid: string }
  | { kind: 'seal_close_event_mismatch'; position: bigint; detail: string }
  | { kind: 'seal_merkle_mismatch'; position: bigint; expected: string; actual: string }
  | { kind: 'seal_head_mismatch'; position: bigint; detail: string }
  | { kind: 'log_truncated'; position: bigint; detail: string };

/** One seal as found in the log, with the outcome of each check. */
export interface SealCheck {
  /** Global position of the `ledger.period_sealed` event. */
  position: bigint;
  companyId: string;
  year: number;
  period: number;
  kid: string;
  chainHead: ledger.ChainPoint | null;
  merkleRoot: string | null;
  signatureValid: boolean;
  merkleRootValid: boolean;
  chainHeadValid: boolean;
  closeEventValid: boolean;
}

/** A seal known from outside the log being verified (an earlier export's seals.json, a receipt). */
export interface SealAnchor {
  position: bigint;
  signature: string;
}

export interface LogVerification {
  chain: ChainVerification;
  seals: SealCheck[];
  sealBreaks: SealBreak[];
  /** True when the chain is intact, every seal checks out and no anchor is missing. */
  ok: boolean;
}

export interface LogVerifierOptions {
  /** Seal verification keys by key id. */
  keys: ReadonlyMap<string, KeyObject>;
  /** Seals known from elsewhere: each must be in the log, unchanged (detects a cut-off tail). */
  anchors?: readonly SealAnchor[];
}

/**
 * Walks the log once, in position order: the hash chain (ChainVerifier) and, for every
 * `ledger.period_sealed`, its signature, its close event, its Merkle root over the
 * fiscal-year stream and its chain head. It keeps the hash of every position and of every
 * fiscal-year event (about 100 bytes per event): a seal is checked against positions
 * already walked.
 */
export class LogVerifier {
  private readonly chain = new ChainVerifier();
  private readonly hashes: string[] = [];
  private readonly streamLeaves = new Map<string, { hash: string; position: bigint }[]>();
  private readonly seals: SealCheck[] = [];
  private readonly sealBreaks: SealBreak[] = [];
  private readonly signaturesAt = new Map<bigint, string>();
  private lastPosition = 0n;

  constructor(private readonly options: LogVerifierOptions) {}

  /** Feeds the next event; false once the chain is broken (later events prove nothing). */
  check(event: RecordedEvent): boolean {
    if (!this.chain.check(event)) return false;
    this.hashes[Number(event.globalPosition)] = event.hash;
    this.lastPosition = event.globalPosition;
    if (event.streamId.startsWith(FISCAL_YEAR_STREAM_PREFIX)) {
      let leaves = this.streamLeaves.get(event.streamId);
      if (leaves === undefined) this.streamLeaves.set(event.streamId, (leaves = []));
      leaves[event.streamVersion] = { hash: event.hash, position: event.globalPosition };
    }
    if (event.type === SEAL_EVENT_TYPE) this.checkSeal(event);
    return true;
  }

  private checkSeal(event: RecordedEvent): void {
    const position = event.globalPosition;
    const parsed = ledger.periodSealedSchema.safeParse(event.data);
    if (!parsed.success) {
      this.sealBreaks.push({ kind: 'seal_malformed', position, detail: parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ') });
      return;
    }
    const seal = parsed.data;
    const body = seal.body;
    this.signaturesAt.set(position, seal.signature);
    const check: SealCheck = {
      position,
      companyId: seal.companyId,
      year: seal.year,
      period: seal.period,
      kid: seal.kid,
      chainHead: body.chainHead,
      merkleRoot: body.merkleRoot,
      signatureValid: false,
      merkleRootValid: false,
      chainHeadValid: false,
      closeEventValid: false,
    };
    this.seals.push(check);

    const publicKey = this.options.keys.get(seal.kid);
    if (publicKey === undefined) this.sealBreaks.push({ kind: 'seal_unknown_key', position, kid: seal.kid });
    else {
      check.signatureValid = verifySealSignature(body, seal.signature, publicKey);
      if (!check.signatureValid) this.sealBreaks.push({ kind: 'seal_signature_invalid', position, kid: seal.kid });
    }

    const leaves = this.streamLeaves.get(body.fiscalYearStreamId) ?? [];
    const close = leaves[body.closeEvent.streamVersion];
    const covered = leaves.slice(0, body.closeEvent.streamVersion + 1);
    if (close === undefined || close.hash !== body.closeEvent.hash || close.position.toString() !== body.closeEvent.position || covered.length !== body.merkleLeafCount) {
      this.sealBreaks.push({
        kind: 'seal_close_event_mismatch',
        position,
        detail: `the seal names ${body.fiscalYearStreamId} version ${body.closeEvent.streamVersion} at position ${body.closeEvent.position} with hash ${body.closeEvent.hash}; the log has ${close === undefined ? 'no such event' : `position ${close.position} with hash ${close.hash}`}`,
      });
    } else check.closeEventValid = true;

    if (covered.length > 0 && covered.every((leaf) => leaf !== undefined)) {
      const recomputed = merkleRoot(covered.map((leaf) => leaf.hash));
      check.merkleRootValid = recomputed === body.merkleRoot;
      if (!check.merkleRootValid) this.sealBreaks.push({ kind: 'seal_merkle_mismatch', position, expected: body.merkleRoot, actual: recomputed });
    } else {
      this.sealBreaks.push({ kind: 'seal_merkle_mismatch', position, expected: body.merkleRoot, actual: 'no leaves in the log' });
    }

    const headPosition = BigInt(body.chainHead.position);
    const logHash = headPosition < position ? this.hashes[Number(headPosition)] : undefined;
    check.chainHeadValid = logHash === body.chainHead.hash;
    if (!check.chainHeadValid) {
      this.sealBreaks.push({
        kind: 'seal_head_mismatch',
        position,
        detail: `the seal records chain head ${body.chainHead.position}:${body.chainHead.hash}; the log has ${logHash === undefined ? 'no event there before the seal' : `${body.chainHead.position}:${logHash}`}`,
      });
    }
  }

  /**
   * Ends the walk. `head`: the head the store (or the export's manifest) recorded, which the
   * log must end at. Every anchor must be in the log with the same signature; a log that
   * ends before an anchor was cut off after that seal.
   */
  finish(head: { position: bigint; hash: string } | null): LogVerification {
    this.chain.checkHead(head);
    const chain = this.chain.result();
    if (chain.firstBreak === null) {
      for (const anchor of this.options.anchors ?? []) {
        const signature = this.signaturesAt.get(anchor.position);
        if (anchor.position > this.lastPosition) {
          this.sealBreaks.push({ kind: 'log_truncated', position: anchor.position, detail: `the log ends at position ${this.lastPosition}, before the seal known at position ${anchor.position}` });
        } else if (signature !== anchor.signature) {
          this.sealBreaks.push({ kind: 'log_truncated', position: anchor.position, detail: `the seal known at position ${anchor.position} is not in the log there` });
        }
      }
      const lastSeal = this.seals[this.seals.length - 1];
      if (lastSeal?.chainHead && BigInt(lastSeal.chainHead.position) > this.lastPosition) {
        this.sealBreaks.push({ kind: 'log_truncated', position: lastSeal.position, detail: `the log ends at ${this.lastPosition}, before the last seal's chain head ${lastSeal.chainHead.position}` });
      }
    }
    return { chain, seals: this.seals, sealBreaks: this.sealBreaks, ok: chain.firstBreak === null && this.sealBreaks.length === 0 };
  }
}

/** Every event of the store in position order, page by page. */
export async function* readWholeLog(store: Pick<EventStore, 'readAll'>, pageSize = VERIFY_PAGE_SIZE): AsyncGenerator<RecordedEvent> {
  let fromPosition: bigint | 'start' = 'start';
  for (;;) {
    const page = await store.readAll({ fromPosition, maxCount: pageSize });
    if (page.length === 0) return;
    yield* page;
    fromPosition = (page[page.length - 1] as RecordedEvent).globalPosition;
  }
}

export interface VerifyLogWithSealsOptions extends LogVerifierOptions {
  head?: { position: bigint; hash: string } | null;
  onProgress?(eventsChecked: number): void;
}

/** The hash chain and every seal over a whole log (a store's or an export's). */
export async function verifyLogWithSeals(events: AsyncIterable<RecordedEvent> | Iterable<RecordedEvent>, options: VerifyLogWithSealsOptions): Promise<LogVerification> {
  const verifier = new LogVerifier(options);
  let count = 0;
  for await (const event of events) {
    if (!verifier.check(event)) break;
    count += 1;
    if (count % VERIFY_PAGE_SIZE === 0) options.onProgress?.(count);
  }
  return verifier.finish(options.head ?? null);
}

/** One line a person can act on, per seal problem. */
export function describeSealBreak(brk: SealBreak): string {
  switch (brk.kind) {
    case 'seal_malformed':
      return `SEAL at position ${brk.position} is malformed: ${brk.detail}`;
    case 'seal_unknown_key':
      return `SEAL at position ${brk.position} is signed with key ${brk.kid}, which is not among the published seal keys`;
    case 'seal_signature_invalid':
      return `SEAL at position ${brk.position}: the signature (key ${brk.kid}) does not match the seal's contents (altered seal)`;
    case 'seal_close_event_mismatch':
      return `SEAL at position ${brk.position}: ${brk.detail}`;
    case 'seal_merkle_mismatch':
      return `SEAL at position ${brk.position}: the Merkle root recomputed from the log is ${brk.actual}, the seal says ${brk.expected} (the sealed period's events were altered)`;
    case 'seal_head_mismatch':
      return `SEAL at position ${brk.position}: ${brk.detail}`;
    case 'log_truncated':
      return `TRUNCATED: ${brk.detail}`;
  }
}

/** An event as one NDJSON line of an exported log: the envelope with the position as a decimal string. */
export function recordedEventToJson(event: RecordedEvent): string {
  return JSON.stringify({ ...event, globalPosition: event.globalPosition.toString() });
}

export function recordedEventFromJson(line: string): RecordedEvent {
  const parsed = JSON.parse(line) as Omit<RecordedEvent, 'globalPosition'> & { globalPosition: string };
  if (typeof parsed.globalPosition !== 'string' || !/^[0-9]+$/.test(parsed.globalPosition)) throw new Error('exported event without a globalPosition');
  return { ...parsed, globalPosition: BigInt(parsed.globalPosition) };
}
