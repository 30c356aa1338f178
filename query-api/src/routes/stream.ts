import type { Request, RequestHandler, Response, Router } from 'express';
import type { Knex } from '@neuroerp/projections';
import { readActiveReadModels } from '../read-models/positions';

/** How often the control table is read while at least one client listens (the runtime does not NOTIFY). */
export const STREAM_POLL_MS_DEFAULT = 500;
/** A comment line this often keeps proxies from closing an idle stream. */
export const STREAM_HEARTBEAT_MS_DEFAULT = 15_000;
/** Concurrent stream clients per process; more are refused with 503. */
export const STREAM_CLIENTS_MAX = 1_000;
/** What the browser waits before reconnecting (the SSE `retry` field), in milliseconds. */
const STREAM_RETRY_MS = 2_000;

export interface ProjectionStreamOptions {
  db: Knex;
  controlSchema: string;
  pollMs?: number;
  heartbeatMs?: number;
  /**
   * Called when a poll fails (the composition root logs it). The open streams are then ended:
   * browsers reconnect after `retry` and the next first client restarts the poller.
   */
  onError?: (error: unknown) => void;
}

/**
 * `/api/stream`: server-sent events. One poller per process reads the active read models'
 * checkpoints every `pollMs` while anybody listens and sends `event: projection` with
 * `{ name, position }` to every client when one advances (or a rebuild switches). A client
 * gets the current position of every read model when it connects. Heartbeat comments keep the
 * connection open; a closed connection is removed at once and the poller stops with the last.
 */
export class ProjectionStream {
  private readonly clients = new Set<Response>();
  /** Per read model: the schema of its active table set and the position last sent. */
  private readonly positions = new Map<string, { schema: string; position: bigint }>();
  private pollTimer: NodeJS.Timeout | null = null;
  private heartbeatTimer: NodeJS.Timeout | null = null;
  private polling = false;

  constructor(private readonly options: ProjectionStreamOptions) {}

  get clientCount(): number {
    return this.clients.size;
  }

  handler(): RequestHandler {
    return (req: Request, res: Response) => {
      if (this.clients.size >= STREAM_CLIENTS_MAX) {
        res.status(503).set('Retry-After', '5').type('application/problem+json').json({
          type: 'about:blank',
          title: 'Service Unavailable',
          status: 503,
          code: 'TOO_MANY_STREAMS',
          detail: `At most ${STREAM_CLIENTS_MAX} event streams per server.`,
          instance: req.originalUrl,
        });
        return;
      }
      res.status(200);
      res.set({ 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-cache, no-transform', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' });
      res.flushHeaders();
      res.write(`retry: ${STREAM_RETRY_MS}\n\n`);
      for (const [name, sent] of this.positions) res.write(projectionEvent(name, sent.position));
      this.clients.add(res);
      req.on('close', () => this.remove(res));
      this.start();
    };
  }

  /** Stops polling and ends every open stream (server shutdown). */
  close(): void {
    for (const client of this.clients) client.end();
    this.clients.clear();
    this.stop();
  }

  private remove(res: Response): void {
    this.clients.delete(res);
    if (this.clients.size === 0) this.stop();
  }

  private start(): void {
    if (this.pollTimer !== null) return;
    this.pollTimer = setInterval(() => void this.poll(), this.options.pollMs ?? STREAM_POLL_MS_DEFAULT);
    this.heartbeatTimer = setInterval(() => this.broadcast(': heartbeat\n\n'), this.options.heartbeatMs ?? STREAM_HEARTBEAT_MS_DEFAULT);
    void this.poll();
  }

  private stop(): void {
    if (this.pollTimer !== null) clearInterval(this.pollTimer);
    if (this.heartbeatTimer !== null) clearInterval(this.heartbeatTimer);
    this.pollTimer = null;
    this.heartbeatTimer = null;
    // Forget what was sent: the next first client is sent the positions it does not know.
    this.positions.clear();
  }

  private async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      const active = await readActiveReadModels(this.options.db, this.options.controlSchema);
      if (this.pollTimer === null) return;
      for (const model of active.values()) {
        const sent = this.positions.get(model.name);
        if (sent !== undefined && sent.schema === model.schema && sent.position === model.position) continue;
        this.positions.set(model.name, { schema: model.schema, position: model.position });
        this.broadcast(projectionEvent(model.name, model.position));
      }
    } catch (error) {
      this.options.onError?.(error);
      this.close();
    } finally {
      this.polling = false;
    }
  }

  private broadcast(message: string): void {
    for (const client of this.clients) client.write(message);
  }
}

function projectionEvent(name: string, position: bigint): string {
  return `event: projection\ndata: ${JSON.stringify({ name, position: position.toString() })}\n\n`;
}

/** Mounts `GET /api/stream` behind `guard` (the permission check). */
export function mountStream(router: Router, stream: ProjectionStream, guard: RequestHandler): void {
  router.get('/api/stream', guard, stream.handler());
}
