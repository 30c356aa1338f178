import { reactive } from 'vue';
import { toApiError, type ApiError } from '../api/client';

/**
 * Loading and error state of one widget (STYLE.md: per-widget state, cleared in `finally`).
 * `run` never throws: the error lands in `error` for the widget's ProblemAlert.
 */
export interface Task {
  loading: boolean;
  error: ApiError | null;
  run<T>(work: () => Promise<T>): Promise<T | undefined>;
}

export function createTask(): Task {
  const task: Task = reactive({
    loading: false,
    error: null as ApiError | null,
    async run<T>(work: () => Promise<T>): Promise<T | undefined> {
      task.loading = true;
      task.error = null;
      try {
        return await work();
      } catch (error) {
        task.error = toApiError(error);
        return undefined;
      } finally {
        task.loading = false;
      }
    },
  }) as Task;
  return task;
}
