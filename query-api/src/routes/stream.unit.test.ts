import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import type { Knex } from '@neuroerp/projections';
import { ProjectionStream } from './stream';

async function serve(stream: ProjectionStream): Promise<{ server: http.Server; port: number }> {
  const app = express();
  app.get('/api/stream', stream.handler());
  const server = http.createServer(app).listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, port: (server.address() as AddressInfo).port };
}

describe('ProjectionStream', () => {
  it('sends heartbeats, reports a failing poll and ends the streams so that clients reconnect', async () => {
    let fail = false;
    const positions = { rows: [{ name: 'general_ledger', version: 1, schema_name: 'p_general_ledger_v1_b1', position: '7', changes: '3' }] };
    const db = { raw: async () => (fail ? Promise.reject(new Error('connection lost')) : positions) } as unknown as Knex;
    const errors: unknown[] = [];
    const stream = new ProjectionStream({ db, controlSchema: 'p', pollMs: 20, heartbeatMs: 30, onError: (error) => errors.push(error) });
    const { server, port } = await serve(stream);
    try {
      const req = http.get({ host: '127.0.0.1', port, path: '/api/stream' });
      const [res] = (await once(req, 'response')) as [http.IncomingMessage];
      res.setEncoding('utf8');
      let received = '';
      res.on('data', (chunk: string) => {
        received += chunk;
      });
      const ended = once(res, 'end');
      const deadline = Date.now() + 5_000;
      while (!received.includes(': heartbeat')) {
        if (Date.now() > deadline) throw new Error(`no heartbeat in ${received}`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      expect(received.match(/event: projection\ndata: \{"name":"general_ledger","position":"7"\}\n\n/g)).toHaveLength(1);
      expect(stream.clientCount).toBe(1);
      fail = true;
      await ended;
      expect(errors).toEqual([new Error('connection lost')]);
      expect(stream.clientCount).toBe(0);
    } finally {
      stream.close();
      server.closeAllConnections();
      server.close();
    }
  });
});
