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
  /** `listener` is called whenever a held leadership ends without `release()` (its database session was lost). */
  onLost(listener: () => void): void;
}

/** What the supervisor needs of a runtime. */
export type SupervisedRuntime = Pick<ProcessManagerRuntime, 'start' | 'stop' | 'done'>;

/**
 * Keeps the process managers running: a crash (an unexpected error, say the database went
 * away) is logged and the runtime is started again from its checkpoint after a delay, which
 * is safe because every command it issues is idempotent. With several replicas only the one
 * holding the leadership runs them; the others ask again every LEADERSHIP_RETRY_MS. A leader
 * that loses its leadership (its lock's session ended, so another replica may take over)
 * stops them and asks again like the others. `stop` ends the current runtime and gives the
 * leadership up.
 */
export class ProcessManagerSupervisor<Runtime extends SupervisedRuntime = ProcessManagerRuntime> {
  private current: Runtime | null = null;
  private starting = false;
  private stopped = false;
  private restartTimer: NodeJS.Timeout | null = null;
  private restarts = 0;

  constructor(
    private readonly createRuntime: () => Runtime,
    private readonly logger: Logger,
    private readonly restartDelayMs = PROCESS_MANAGER_RESTART_DELAY_MS,
    private readonly leadership: Leadership | null = null,
    private readonly leadershipRetryMs = LEADERSHIP_RETRY_MS,
  ) {
    leadership?.onLost(() => void this.leadershipLost());
  }

  get restartCount(): number {
    return this.restarts;
  }

  get runtime(): Runtime | null {
    return this.current;
  }

  /** Runs the process managers if this replica may lead; otherwise asks again later. */
  async start(): Promise<void> {
    if (this.stopped || this.starting || this.current !== null) return;
    this.starting = true;
    try {
      if (this.leadership !== null && !(await this.leadership.tryAcquire().catch(() => false))) {
        this.logger.info({ retryInMs: this.leadershipRetryMs }, 'another replica runs the process managers');
        this.startLater(this.leadershipRetryMs);
        return;
      }
      const runtime = this.createRuntime();
      this.current = runtime;
      try {
        await runtime.start();
      } catch (error) {
        this.current = null;
        throw error;
      }
      runtime.done.then(
        () => undefined,
        (error: unknown) => {
          // A runtime stopped on purpose, or already replaced, is not restarted.
          if (this.stopped || this.current !== runtime) return;
          this.current = null;
          this.logger.error({ err: error, restartInMs: this.restartDelayMs }, 'process managers crashed; restarting from their checkpoint');
          this.restarts += 1;
          this.startLater(this.restartDelayMs);
        },
      );
    } finally {
      this.starting = false;
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.restartTimer !== null) clearTimeout(this.restartTimer);
    await this.current?.stop().catch(() => undefined);
    await this.leadership?.release();
  }

  private startLater(delayMs: number): void {
    if (this.stopped || this.restartTimer !== null) return;
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      this.start().catch((error: unknown) => {
        this.logger.error({ err: error, retryInMs: delayMs }, 'process managers could not start');
        this.startLater(delayMs);
      });
    }, delayMs);
  }

  private async leadershipLost(): Promise<void> {
    if (this.stopped) return;
    this.logger.warn({ retryInMs: this.leadershipRetryMs }, 'the process-manager leadership was lost (its database session ended); stopping them until it is regained');
    const runtime = this.current;
    this.current = null;
    await runtime?.stop().catch(() => undefined);
    this.startLater(this.leadershipRetryMs);
  }
}
