import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { runOperations } from './measure';

/**
 * The load generator of the commands benchmark, on a worker thread of its own: it builds the
 * request bodies, sends the POSTs over keep-alive connections and times them, while the main
 * thread runs only the server. On one event loop the client's work (request building,
 * response parsing, timing) queued behind the server's and the server's behind the client's,
 * so the load generator's CPU time showed up as server latency. The thread still shares the
 * machine's cores with the server and PostgreSQL, as a client on the same host would.
 */

export interface HttpLoadPlan {
  port: number;
  token: string;
  runId: string;
  companyId: string;
  postingDate: string;
  concurrency: number;
  warmup: number;
  count: number;
}

export interface HttpLoadResult {
  elapsedMs: number;
  /** Per measured request, milliseconds from sending to the end of the response. */
  latencies: number[];
}

type WorkerMessage = { kind: 'started' } | { kind: 'done'; result: HttpLoadResult } | { kind: 'error'; message: string };

function postJson(agent: http.Agent, port: number, pathName: string, body: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      { host: '127.0.0.1', port, path: pathName, method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers } },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

/** Runs the warm-up and then the measured requests (in this thread). */
async function generateLoad(plan: HttpLoadPlan, onMeasuredStart: () => void): Promise<HttpLoadResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: plan.concurrency });
  const latencies: number[] = [];
  const postOne = async (index: number, record: boolean) => {
    const amount = `${100 + (index % 900)}.${String(index % 100).padStart(2, '0')}`;
    const body = JSON.stringify({
      transactionId: `bench-${plan.runId}-${index}`,
      companyId: plan.companyId,
      type: 'journal',
      documentDate: plan.postingDate,
      postingDate: plan.postingDate,
      description: `bench ${index}`,
      lines: [
        { accountNumber: '1200', side: 'debit', amount, currency: 'EUR' },
        { accountNumber: '8400', side: 'credit', amount, currency: 'EUR' },
      ],
      post: true,
    });
    const started = process.hrtime.bigint();
    const response = await postJson(agent, plan.port, '/api/finance/transactions', body, { authorization: `Bearer ${plan.token}`, 'idempotency-key': randomUUID() });
    if (record) latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
    if (response.status !== 201) throw new Error(`POST answered ${response.status}: ${response.body.slice(0, 300)}`);
  };
  try {
    await runOperations(plan.warmup, plan.concurrency, (index) => postOne(index, false));
    onMeasuredStart();
    const elapsedMs = await runOperations(plan.count, plan.concurrency, (index) => postOne(plan.warmup + index, true));
    return { elapsedMs, latencies };
  } finally {
    agent.destroy();
  }
}

/**
 * Starts the load generator on a worker thread and resolves with its figures. `onMeasuredStart`
 * is called when the warm-up is over and the measured requests begin.
 */
export function runHttpLoad(plan: HttpLoadPlan, onMeasuredStart: () => void = () => undefined): Promise<HttpLoadResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(__filename, { workerData: plan });
    let settled = false;
    worker.on('message', (message: WorkerMessage) => {
      if (message.kind === 'started') onMeasuredStart();
      else if (message.kind === 'done') {
        settled = true;
        resolve(message.result);
      } else {
        settled = true;
        reject(new Error(message.message));
      }
    });
    worker.once('error', (error) => {
      settled = true;
      reject(error);
    });
    worker.once('exit', (code) => {
      if (!settled) reject(new Error(`the load generator exited with code ${code} before reporting`));
    });
  });
}

if (!isMainThread && parentPort !== null) {
  const port = parentPort;
  generateLoad(workerData as HttpLoadPlan, () => port.postMessage({ kind: 'started' } satisfies WorkerMessage)).then(
    (result) => port.postMessage({ kind: 'done', result } satisfies WorkerMessage),
    (error: unknown) => port.postMessage({ kind: 'error', message: error instanceof Error ? error.message : String(error) } satisfies WorkerMessage),
  );
}
