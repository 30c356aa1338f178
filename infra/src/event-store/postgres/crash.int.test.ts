import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import pg from 'pg';
import type { RecordedEvent } from '@neuroerp/schemas';
import { verifyEventLog } from '../verify-log';
import { PostgresEventStore } from './postgres-event-store';
import { testDatabaseUrl, uniqueSchema } from './test-database';

// The writer runs as compiled JavaScript in its own process (npm test builds before jest).
const WRITER = join(__dirname, '../../../dist/event-store/postgres/load-writer.js');
const connectionString = testDatabaseUrl();

interface Writer {
  process: ChildProcess;
  acknowledged: string[];
  ready: Promise<void>;
}

function startWriter(schema: string, prefix: string): Writer {
  const child = spawn(process.execPath, [WRITER, connectionString, schema, prefix], { stdio: ['ignore', 'pipe', 'inherit'] });
  const acknowledged: string[] = [];
  const ready = new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`writer exited early with ${code}`)));
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      if (line === 'READY') resolve();
      else if (line.startsWith('ACK ')) acknowledged.push(...(line.split(' ')[2] as string).split(','));
    });
  });
  return { process: child, acknowledged, ready };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const exited = (child: ChildProcess) => new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve(null) : child.once('exit', resolve)));

describe('crash safety (PostgreSQL, separate writer processes)', () => {
  it.each([1, 2, 3])('run %i: SIGKILL mid-load loses no acknowledged append and leaves no partial group commit', async () => {
    const schema = uniqueSchema('crash');
    const store = await PostgresEventStore.connect({ connectionString, schema });
    try {
      const writers = [startWriter(schema, 'a'), startWriter(schema, 'b'), startWriter(schema, 'c')];
      await Promise.all(writers.map((w) => w.ready));
      // A reader in this process follows the log while three processes write into it.
      const reader = store.subscribeToAll({ fromPosition: 'start', batchSizeMax: 1000 });
      const seen: RecordedEvent[] = [];
      const reading = (async () => {
        for await (const event of reader) seen.push(event);
      })();
      await sleep(1500);
      const victim = writers[0] as Writer;
      victim.process.kill('SIGKILL');
      await exited(victim.process);
      await sleep(1000);
      for (const writer of writers.slice(1)) writer.process.kill('SIGKILL');
      await Promise.all(writers.map((w) => exited(w.process)));

      const all: RecordedEvent[] = [];
      for (let page = await store.readAll({ fromPosition: 'start', maxCount: 10_000 }); page.length > 0; ) {
        all.push(...page);
        page = await store.readAll({ fromPosition: (page[page.length - 1] as RecordedEvent).globalPosition, maxCount: 10_000 });
      }
      const stored = new Set(all.map((e) => e.eventId));
      for (const writer of writers) {
        expect(writer.acknowledged.length).toBeGreaterThan(0);
        expect(writer.acknowledged.filter((id) => !stored.has(id))).toEqual([]);
      }
      // Positions are gapless 1..n, and every stream holds its whole 3-event append or nothing.
      expect(all.map((e) => Number(e.globalPosition))).toEqual(all.map((_, i) => i + 1));
      const perStream = new Map<string, number>();
      for (const e of all) perStream.set(e.streamId, (perStream.get(e.streamId) ?? 0) + 1);
      expect([...perStream.values()].every((count) => count === 3)).toBe(true);

      const verification = await verifyEventLog(store, { head: await store.readHead() });
      expect(verification.firstBreak).toBeNull();
      expect(verification.eventsChecked).toBe(all.length);

      // The reader saw every committed event exactly once, in position order.
      const deadline = Date.now() + 30_000;
      while (seen.length < all.length && Date.now() < deadline) await sleep(50);
      await reader.stop();
      await reading;
      expect(seen.map((e) => e.eventId)).toEqual(all.map((e) => e.eventId));
    } finally {
      await store.close();
      const admin = new pg.Client({ connectionString });
      await admin.connect();
      await admin.query(`drop schema if exists "${schema}" cascade`);
      await admin.end();
    }
  });
});
