import { chmod, mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { startEmbeddedPostgres } from '@neuroerp/infra';
import { composeApplication, type Application } from '../composition';
import { parseServerConfig } from '../config';
import { freePort } from '../free-port';
import { closeServer, listen } from '../server';

/** Rate limits high enough that a benchmark measures the service, not the limiter (one address, one user). */
const GENEROUS = 1_000_000_000;

export interface Answer {
  status: number;
  body: string;
}

/** One HTTP request over the given keep-alive agent; the body is read to the end. */
export function request(agent: http.Agent, port: number, method: string, pathName: string, headers: Record<string, string>, body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method,
        path: pathName,
        agent,
        headers: body === undefined ? headers : { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), ...headers },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        response.on('error', reject);
      },
    );
    req.setTimeout(30_000, () => req.destroy(new Error('timed out after 30 s')));
    req.on('error', reject);
    req.end(body);
  });
}

/** The embedded default as `neuroerp start` composes it, listening on a free port of this process. */
export interface BenchApplication {
  port: number;
  /** Keep-alive connections for the load. */
  agent: http.Agent;
  application: Application;
  /** `authorization` header of a demo user (real RS256 tokens, verified on every request). */
  authorization(username: string, password: string): Promise<Record<string, string>>;
  close(): Promise<void>;
}

/**
 * Starts an embedded PostgreSQL in a temporary DATA_DIR, composes the whole application on it
 * with the demo data seeded and the rate limits raised, and listens on a free port. `close`
 * stops everything and removes the directory.
 */
export async function startBenchApplication(options: { socketsMax: number; log: (line: string) => void }): Promise<BenchApplication> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'neuroerp-bench-'));
  // mkdtemp makes the directory private; when we run as root, PostgreSQL runs as another OS user and must enter it.
  await chmod(dataDir, 0o755);
  const releases: (() => Promise<void>)[] = [];
  const close = async () => {
    for (const release of releases) await release().catch((error: unknown) => options.log(`cleanup: ${error instanceof Error ? error.message : String(error)}`));
    await rm(dataDir, { recursive: true, force: true });
  };
  try {
    const embedded = await startEmbeddedPostgres({ databaseDir: path.join(dataDir, 'pg'), port: await freePort() });
    releases.unshift(() => embedded.stop());
    const config = parseServerConfig({ DATA_DIR: dataDir, LOG_LEVEL: 'silent', DEMO_USERS: 'true' });
    const seeding = performance.now();
    const application = await composeApplication({
      config,
      connectionString: embedded.connectionString,
      logger: pino({ level: 'silent' }),
      version: 'bench',
      onShutdown: (_name, release) => void releases.unshift(release),
      seedDemoDataIfEmpty: true,
      identityOverrides: {
        rateLimits: {
          routeLimits: { auth: GENEROUS, users: GENEROUS, documents: GENEROUS, finance: GENEROUS, workflows: GENEROUS, query: GENEROUS },
          roleLimits: { admin: GENEROUS, accountant: GENEROUS, approver: GENEROUS, auditor: GENEROUS, user: GENEROUS, guest: GENEROUS },
        },
      },
    });
    options.log(`  application composed and demo data seeded in ${((performance.now() - seeding) / 1000).toFixed(1)} s (embedded PostgreSQL in ${dataDir})`);
    const server = await listen(application.app, 0);
    releases.unshift(() => closeServer(server, 1000));
    const port = (server.address() as AddressInfo).port;
    const agent = new http.Agent({ keepAlive: true, maxSockets: options.socketsMax });
    releases.unshift(async () => agent.destroy());
    return {
      port,
      agent,
      application,
      authorization: async (username, password) => {
        const login = await request(agent, port, 'POST', '/api/auth/login', {}, JSON.stringify({ username, password }));
        if (login.status !== 200) throw new Error(`login answered ${login.status}: ${login.body}`);
        return { authorization: `Bearer ${(JSON.parse(login.body) as { accessToken: string }).accessToken}` };
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
