import pino from 'pino';
import { ProcessManagerSupervisor, type Leadership, type SupervisedRuntime } from './process-manager-supervisor';

const RESTART_DELAY_MS = 5;
const LEADERSHIP_RETRY_MS = 5;
/** A liveness bound: the supervisor's timers here are milliseconds. */
const WAIT_MS_MAX = 5_000;

class FakeRuntime implements SupervisedRuntime {
  started = false;
  stopped = false;
  readonly done: Promise<void>;
  private settle: { resolve: () => void; reject: (error: unknown) => void } = { resolve: () => undefined, reject: () => undefined };

  constructor(private readonly failsToStart: boolean) {
    this.done = new Promise<void>((resolve, reject) => (this.settle = { resolve, reject }));
  }

  async start(): Promise<void> {
    if (this.failsToStart) throw new Error('the checkpoint could not be read');
    this.started = true;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.settle.resolve();
  }

  crash(): void {
    this.settle.reject(new Error('connection terminated'));
  }
}

class FakeLeadership implements Leadership {
  granted = true;
  held = false;
  private readonly listeners: (() => void)[] = [];

  async tryAcquire(): Promise<boolean> {
    this.held = this.held || this.granted;
    return this.held;
  }

  async release(): Promise<void> {
    this.held = false;
  }

  onLost(listener: () => void): void {
    this.listeners.push(listener);
  }

  lose(): void {
    this.held = false;
    for (const listener of this.listeners) listener();
  }
}

async function until(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + WAIT_MS_MAX;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('the condition did not come true');
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

/** `failingRestarts`: how many runtimes after the first fail in start(), as while the database is still away. */
function supervise(options: { leadership?: FakeLeadership; failingRestarts?: number } = {}) {
  const runtimes: FakeRuntime[] = [];
  let failuresLeft = options.failingRestarts ?? 0;
  const supervisor = new ProcessManagerSupervisor(
    () => {
      const fails = runtimes.length > 0 && failuresLeft > 0;
      if (fails) failuresLeft -= 1;
      const runtime = new FakeRuntime(fails);
      runtimes.push(runtime);
      return runtime;
    },
    pino({ level: 'silent' }),
    RESTART_DELAY_MS,
    options.leadership ?? null,
    LEADERSHIP_RETRY_MS,
  );
  return { supervisor, runtimes };
}

describe('ProcessManagerSupervisor', () => {
  it('starts a crashed runtime again, from a new instance', async () => {
    const { supervisor, runtimes } = supervise();
    await supervisor.start();
    runtimes[0]?.crash();

    await until(() => runtimes.length === 2 && runtimes[1]?.started === true);

    expect(supervisor.runtime).toBe(runtimes[1]);
    expect(supervisor.restartCount).toBe(1);
    await supervisor.stop();
  });

  it('keeps trying when a restart fails to start', async () => {
    const { supervisor, runtimes } = supervise({ failingRestarts: 2 });
    await supervisor.start();

    runtimes[0]?.crash();

    await until(() => runtimes.length === 4 && runtimes[3]?.started === true);
    expect(runtimes.slice(1, 3).map((runtime) => runtime.started)).toEqual([false, false]);
    expect(supervisor.runtime).toBe(runtimes[3]);
    await supervisor.stop();
  });

  it('a replica that does not lead waits, and starts once it may', async () => {
    const leadership = new FakeLeadership();
    leadership.granted = false;
    const { supervisor, runtimes } = supervise({ leadership });
    await supervisor.start();
    expect(runtimes).toHaveLength(0);
    expect(supervisor.runtime).toBeNull();

    leadership.granted = true;

    await until(() => runtimes[0]?.started === true);
    expect(supervisor.runtime).toBe(runtimes[0]);
    await supervisor.stop();
  });

  it('a leader that loses its leadership stops its runtime, and starts a new one when it leads again', async () => {
    const leadership = new FakeLeadership();
    const { supervisor, runtimes } = supervise({ leadership });
    await supervisor.start();
    leadership.granted = false;

    leadership.lose();

    await until(() => runtimes[0]?.stopped === true);
    expect(supervisor.runtime).toBeNull();
    leadership.granted = true;
    await until(() => runtimes[1]?.started === true);
    expect(supervisor.runtime).toBe(runtimes[1]);
    expect(runtimes).toHaveLength(2);
    await supervisor.stop();
  });

  it('stop() ends the runtime, gives the leadership up, and nothing starts again', async () => {
    const leadership = new FakeLeadership();
    const { supervisor, runtimes } = supervise({ leadership });
    await supervisor.start();

    await supervisor.stop();
    runtimes[0]?.crash();
    leadership.lose();
    await new Promise((resolve) => setTimeout(resolve, 10 * RESTART_DELAY_MS));

    expect(runtimes[0]?.stopped).toBe(true);
    expect(leadership.held).toBe(false);
    expect(runtimes).toHaveLength(1);
  });
});
