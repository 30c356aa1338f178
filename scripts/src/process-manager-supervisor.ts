import type { Logger } from 'pino';
import type { ProcessManagerRuntime } from '@neuroerp/command-api';

/** How long the supervisor waits before restarting crashed process managers from their checkpoint. */
export const PROCESS_MANAGER_RESTART_DELAY_MS = 2_000;
/** How often a replica that does not lead asks again whether it may. */
export const LEADERSHIP_RETRY_MS = 5_000;

/** Whether this process may run the process managers (one replica leads; see PostgresLeaderLock). */
export interface Leadership {
  tryAcquire(): Promise<boolean>;
  release(): Promise<void>;
}

/**
 * Keeps the process managers running: a crash (an unexpected error, say the database went
 * away) is logged and the runtime is started again from its checkpoint after a delay, which
 * is safe because every command it issues is idempotent. With several replicas only the one
 * holding the leadership runs them; the others ask again every LEADERSHIP_RETRY_MS. `stop`
 * ends the current runtime and gives the leadership up.
 */
export class ProcessManagerSupervisor {
  private current: ProcessManagerRuntime | null = null;
  private stopped = false;
  private restartTimer: NodeJS.Timeout | null = null;
  private restarts = 0;

  constructor(
    private readonly createRuntime: () => ProcessManagerRuntime,
    private readonly logger: Logger,
    private readonly restartDelayMs = PROCESS_MANAGER_RESTART_DELAY_MS,
    private readonly leadership: Leadership | null = null,
  ) {}

  get restartCount(): number {
    return this.restarts;
  }

  get runtime(): ProcessManagerRuntime | null {
    return this.current;
  }

  async start(): Promise<void> {
    if (this.stopped) return;
    if (this.leadership !== null && !(await this.leadership.tryAcquire().catch(() => false))) {
      this.logger.info({ retryInMs: LEADERSHIP_RETRY_MS }, 'another replica runs the process managers');
      this.restartTimer = setTimeout(() => {
        this.restartTimer = null;
        this.start().catch((error: unknown) => this.logger.error({ err: error }, 'process managers could not start'));
      }, LEADERSHIP_RETRY_MS);
      return;
    }
    const runtime = this.createRuntime();
    this.current = runtime;
    await runtime.start();
    runtime.done.then(
      () => undefined,
      (error: unknown) => {
        if (this.stopped) return;
        this.logger.error({ err: error, restartInMs: this.restartDelayMs }, 'process managers crashed; restarting from their checkpoint');
        this.restarts += 1;
        this.restartTimer = setTimeout(() => {
          this.restartTimer = null;
          this.start().catch((startError: unknown) => this.logger.error({ err: startError }, 'process managers could not restart'));
        }, this.restartDelayMs);
      },
    );
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.restartTimer !== null) clearTimeout(this.restartTimer);
    await this.current?.stop().catch(() => undefined);
    await this.leadership?.release();
  }
}
