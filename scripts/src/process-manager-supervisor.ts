import type { Logger } from 'pino';
import type { ProcessManagerRuntime } from '@neuroerp/command-api';

/** How long the supervisor waits before restarting crashed process managers from their checkpoint. */
export const PROCESS_MANAGER_RESTART_DELAY_MS = 2_000;

/**
 * Keeps the process managers running: a crash (an unexpected error, say the database went
 * away) is logged and the runtime is started again from its checkpoint after a delay, which
 * is safe because every command it issues is idempotent. `stop` ends the current runtime.
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
  ) {}

  get restartCount(): number {
    return this.restarts;
  }

  get runtime(): ProcessManagerRuntime | null {
    return this.current;
  }

  async start(): Promise<void> {
    if (this.stopped) return;
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
  }
}
