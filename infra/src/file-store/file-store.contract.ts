import { randomBytes } from 'node:crypto';
import { sha256Hex, type FileStore } from './port';

/** What a contract run needs: a fresh store, and how to dispose of it. */
export interface FileStoreUnderTest {
  store: FileStore;
  dispose(): Promise<void>;
}

/**
 * The one contract every FileStore adapter runs: content addressing, idempotent puts, exact
 * round trips of binary data, absent files, concurrent puts of the same bytes, and refusal of
 * malformed addresses. `skipReason` skips the whole suite with a printed reason.
 */
export function describeFileStoreContract(adapterName: string, connect: () => Promise<FileStoreUnderTest>, options: { skipReason?: string } = {}): void {
  describe(`FileStore contract: ${adapterName}`, () => {
    if (options.skipReason !== undefined) {
      // Printed so that a skipped adapter is visible in the test output, with the reason.
      console.warn(`FileStore contract for ${adapterName} skipped: ${options.skipReason}`);
      it.skip(`skipped: ${options.skipReason}`, () => undefined);
      return;
    }
    let underTest: FileStoreUnderTest;
    beforeAll(async () => {
      underTest = await connect();
    });
    afterAll(async () => {
      await underTest?.dispose();
    });

    it('stores bytes under their SHA-256 and returns them unchanged', async () => {
      const bytes = randomBytes(70_000);
      const stored = await underTest.store.put(bytes);
      expect(stored).toEqual({ sha256: sha256Hex(bytes), sizeBytes: bytes.length });
      const read = await underTest.store.get(stored.sha256);
      expect(read?.equals(bytes)).toBe(true);
    });

    it('is idempotent: the same bytes again give the same address', async () => {
      const bytes = Buffer.from(`same content ${randomBytes(8).toString('hex')}`);
      const first = await underTest.store.put(bytes);
      const second = await underTest.store.put(Buffer.from(bytes));
      expect(second).toEqual(first);
      expect((await underTest.store.get(first.sha256))?.equals(bytes)).toBe(true);
    });

    it('stores an empty file', async () => {
      const stored = await underTest.store.put(new Uint8Array(0));
      expect(stored.sha256).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
      expect((await underTest.store.get(stored.sha256))?.length).toBe(0);
    });

    it('answers null for an address nothing was stored under', async () => {
      expect(await underTest.store.get(sha256Hex(randomBytes(32)))).toBeNull();
    });

    it('takes concurrent puts of the same bytes', async () => {
      const bytes = randomBytes(200_000);
      const results = await Promise.all(Array.from({ length: 8 }, () => underTest.store.put(bytes)));
      expect(new Set(results.map((result) => result.sha256)).size).toBe(1);
      expect((await underTest.store.get(sha256Hex(bytes)))?.equals(bytes)).toBe(true);
    });

    it.each(['', 'abc', 'A'.repeat(64), '../'.repeat(22)])('refuses the malformed address %j', async (address) => {
      await expect(underTest.store.get(address)).rejects.toThrow(/SHA-256/);
    });
  });
}
