import { Presets, SingleBar } from 'cli-progress';

/** A progress bar on stderr for long CLI work; it draws only when asked and stderr is a terminal, and only once work reports progress. */
export interface ProgressBar {
  onProgress(done: number, total: number): void;
  stop(): void;
}

/** `format` as cli-progress takes it, e.g. `'seeding |{bar}| {value}/{total} steps'`. */
export function progressBar(enabled: boolean, format: string): ProgressBar {
  const show = enabled && process.stderr.isTTY === true;
  const bar = new SingleBar({ format, stream: process.stderr }, Presets.shades_classic);
  let started = false;
  return {
    onProgress: (done, total) => {
      if (!show) return;
      if (!started) {
        bar.start(total, 0);
        started = true;
      }
      bar.setTotal(total);
      bar.update(done);
    },
    stop: () => {
      if (started) bar.stop();
      started = false;
    },
  };
}
