/**
 * Collects concurrent requests into batches and hands one batch at a time to `commit`.
 * While a batch is being committed, new requests queue up and form the next batch, so the
 * batch size grows with the load by itself; when idle, a request waits at most `windowMs`.
 * With `turnsBetweenBatches`, the queue waits that many turns of the event loop (setImmediate)
 * after answering a batch before it forms the next, so that work continuing from the answers
 * can queue its follow-up requests for that next batch.
 */
export class GroupCommitQueue<Request, Result> {
  private readonly queue: { request: Request; resolve: (r: Result) => void; reject: (e: unknown) => void }[] = [];
  private running = false;

  constructor(
    private readonly commit: (requests: Request[]) => Promise<(Result | Error)[]>,
    private readonly limits: { requestsPerBatchMax: number; windowMs: number; queueLengthMax: number; turnsBetweenBatches?: number },
  ) {
    if (limits.requestsPerBatchMax < 1 || limits.queueLengthMax < limits.requestsPerBatchMax) {
      throw new Error('group commit limits: need 1 <= requestsPerBatchMax <= queueLengthMax');
    }
  }

  get pending(): number {
    return this.queue.length;
  }

  submit(request: Request): Promise<Result> {
    if (this.queue.length >= this.limits.queueLengthMax) {
      return Promise.reject(new QueueFullError(this.limits.queueLengthMax));
    }
    return new Promise<Result>((resolve, reject) => {
      this.queue.push({ request, resolve, reject });
      if (!this.running) {
        this.running = true;
        const start = () => void this.drain();
        if (this.limits.windowMs > 0) setTimeout(start, this.limits.windowMs);
        else setImmediate(start);
      }
    });
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.limits.requestsPerBatchMax);
      try {
        const results = await this.commit(batch.map((entry) => entry.request));
        batch.forEach((entry, index) => {
          const result = results[index];
          if (result instanceof Error) entry.reject(result);
          else entry.resolve(result as Result);
        });
      } catch (error) {
        for (const entry of batch) entry.reject(error);
      }
      // Let the callers just answered run on before the next batch is formed: a caller whose
      // next step is another request (a command's second append, the next write of a busy
      // stream) then joins that batch instead of waiting for the one after it.
      for (let turn = 0; turn < (this.limits.turnsBetweenBatches ?? 0); turn += 1) await new Promise<void>((resolve) => setImmediate(resolve));
    }
    this.running = false;
  }
}

export class QueueFullError extends Error {
  constructor(readonly queueLengthMax: number) {
    super(`the append queue is full (${queueLengthMax} appends waiting)`);
    this.name = 'QueueFullError';
  }
}
