import { createHash, generateKeyPairSync } from 'node:crypto';
import { ledger } from '@neuroerp/schemas';
import { merkleRoot, publishSealKey, sealKeyId, sealKeysFromDocument, signSealBody, verifySealSignature } from './seal-verification';

const sha = (...parts: Buffer[]) => createHash('sha256').update(Buffer.concat(parts)).digest();
const leafHex = (n: number) => createHash('sha256').update(`event ${n}`).digest('hex');
const leafNode = (hex: string) => sha(Buffer.from([0]), Buffer.from(hex, 'hex'));
const node = (left: Buffer, right: Buffer) => sha(Buffer.from([1]), left, right);

describe('merkleRoot', () => {
  it('of one leaf is its leaf node SHA-256(0x00 ‖ hash)', () => {
    expect(merkleRoot([leafHex(1)])).toBe(leafNode(leafHex(1)).toString('hex'));
  });

  it('pairs left to right with SHA-256(0x01 ‖ left ‖ right)', () => {
    const [a, b, c, d] = [1, 2, 3, 4].map((n) => leafNode(leafHex(n))) as [Buffer, Buffer, Buffer, Buffer];
    expect(merkleRoot([1, 2, 3, 4].map(leafHex))).toBe(node(node(a, b), node(c, d)).toString('hex'));
  });

  it('carries an odd last node up unchanged (no duplication)', () => {
    const [a, b, c] = [1, 2, 3].map((n) => leafNode(leafHex(n))) as [Buffer, Buffer, Buffer];
    expect(merkleRoot([1, 2, 3].map(leafHex))).toBe(node(node(a, b), c).toString('hex'));
    // Bitcoin's duplicate-last rule would make [1,2,3] and [1,2,3,3] collide; ours does not.
    expect(merkleRoot([1, 2, 3, 3].map(leafHex))).not.toBe(merkleRoot([1, 2, 3].map(leafHex)));
  });

  it('changes with the order and with any one leaf', () => {
    const leaves = [1, 2, 3, 4, 5].map(leafHex);
    const root = merkleRoot(leaves);
    expect(merkleRoot([...leaves].reverse())).not.toBe(root);
    const changed = [...leaves];
    changed[4] = leafHex(99);
    expect(merkleRoot(changed)).not.toBe(root);
  });

  it('refuses no leaves and leaves that are not SHA-256 hex', () => {
    expect(() => merkleRoot([])).toThrow('at least one leaf');
    expect(() => merkleRoot(['abc'])).toThrow('not a SHA-256');
  });
});

describe('seal signatures (Ed25519 over RFC 8785 canonical JSON)', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const body: ledger.PeriodSealBody = {
    format: ledger.SEAL_FORMAT,
    companyId: 'acme',
    year: 2025,
    period: 1,
    fiscalYearStreamId: 'ledger.fiscal_year-acme-2025',
    closeEvent: { position: '7', hash: leafHex(7), streamVersion: 3 },
    merkleLeafCount: 4,
    merkleRoot: merkleRoot([4, 5, 6, 7].map(leafHex)),
    chainHead: { position: '8', hash: leafHex(8) },
    companyCurrency: 'EUR',
    closingBalances: [
      { accountNumber: '1200', balanceMinor: '11900' },
      { accountNumber: '8400', balanceMinor: '-11900' },
    ],
    sealedAt: '2025-02-01T10:00:00.000Z',
  };

  it('verifies an untouched body, also with its keys in another order', () => {
    const signature = signSealBody(body, privateKey);
    expect(ledger.periodSealedSchema.shape.signature.safeParse(signature).success).toBe(true);
    expect(verifySealSignature(body, signature, publicKey)).toBe(true);
    const reordered = Object.fromEntries(Object.entries(body).reverse()) as ledger.PeriodSealBody;
    expect(verifySealSignature(reordered, signature, publicKey)).toBe(true);
  });

  it('rejects a body with one character changed', () => {
    const signature = signSealBody(body, privateKey);
    const tampered = { ...body, closingBalances: [{ accountNumber: '1200', balanceMinor: '11901' }, body.closingBalances[1] as ledger.SealedBalance] };
    expect(verifySealSignature(tampered, signature, publicKey)).toBe(false);
  });

  it('rejects a signature with one byte changed', () => {
    const bytes = Buffer.from(signSealBody(body, privateKey), 'base64url');
    bytes[10] = (bytes[10] as number) ^ 0x01;
    expect(verifySealSignature(body, bytes.toString('base64url'), publicKey)).toBe(false);
  });

  it('rejects the signature under another key', () => {
    const other = generateKeyPairSync('ed25519');
    expect(verifySealSignature(body, signSealBody(body, privateKey), other.publicKey)).toBe(false);
  });

  it('names keys by the first 16 hex of SHA-256 over the public DER, the same from the private key', () => {
    const expected = createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex').slice(0, 16);
    expect(sealKeyId(publicKey)).toBe(expected);
    expect(sealKeyId(privateKey)).toBe(expected);
  });

  it('reads a published keys document back and refuses a key listed under the wrong kid', () => {
    const published = publishSealKey(privateKey);
    expect(published).toMatchObject({ kid: sealKeyId(publicKey), alg: 'Ed25519', jwk: { kty: 'OKP', crv: 'Ed25519', kid: sealKeyId(publicKey) } });
    const keys = sealKeysFromDocument({ keys: [published] });
    expect(verifySealSignature(body, signSealBody(body, privateKey), keys.get(published.kid) as never)).toBe(true);
    expect(() => sealKeysFromDocument({ keys: [{ ...published, kid: '0000000000000000' }] })).toThrow('has key id');
  });
});
