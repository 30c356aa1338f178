import { GroupCommitQueue, QueueFullError } from './group-commit';

describe('GroupCommitQueue', () => {
  it('batches requests that arrive while a commit is in flight, bounded by the batch size', async () => {
    const batches: number[][] = [];
    const queue = new GroupCommitQueue<number, number>(
      async (requests) => {
        batches.push(requests);
        await new Promise((resolve) => setTimeout(resolve, 5));
        return requests.map((r) => r * 2);
      },
      { requestsPerBatchMax: 4, windowMs: 0, queueLengthMax: 100 },
    );
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => queue.submit(i)));
    expect(results).toEqual([0, 2, 4, 6, 8, 10, 12, 14, 16, 18]);
    expect(batches).toEqual([[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]);
  });

  it('fails one request alone when its result is an error, and a whole batch when the commit throws', async () => {
    let calls = 0;
    const queue = new GroupCommitQueue<number, number>(
      async (requests) => {
        calls += 1;
        if (calls === 2) throw new Error('connection lost');
        return requests.map((r) => (r === 1 ? new Error('conflict') : r));
      },
      { requestsPerBatchMax: 3, windowMs: 0, queueLengthMax: 100 },
    );
    const outcomes = await Promise.allSettled([0, 1, 2, 3, 4].map((i) => queue.submit(i)));
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'rejected', 'rejected']);
  });

  it('with turnsBetweenBatches, a follow-up submitted from an answer joins the very next batch', async () => {
    const run = async (turnsBetweenBatches: number) => {
      const batches: string[][] = [];
      const others: Promise<string>[] = [];
      const queue = new GroupCommitQueue<string, string>(
        async (requests) => {
          batches.push(requests);
          // b2 arrives while the first batch is in flight (submitted here, not on a timer, so the order is certain).
          if (batches.length === 1) others.push(queue.submit('b2'));
          await new Promise((resolve) => setTimeout(resolve, 2));
          return requests;
        },
        { requestsPerBatchMax: 10, windowMs: 0, queueLengthMax: 100, turnsBetweenBatches },
      );
      const first = queue.submit('a1').then(async () => queue.submit('a2'));
      others.push(queue.submit('b1'));
      await first;
      await Promise.all(others);
      return batches;
    };
    expect(await run(1)).toEqual([['a1', 'b1'], ['b2', 'a2']]);
    expect(await run(0)).toEqual([['a1', 'b1'], ['b2'], ['a2']]);
  });

  it('refuses work beyond the queue limit', async () => {
    const queue = new GroupCommitQueue<number, number>(async (r) => r, { requestsPerBatchMax: 1, windowMs: 0, queueLengthMax: 2 });
    const accepted = [queue.submit(1), queue.submit(2)];
    await expect(queue.submit(3)).rejects.toBeInstanceOf(QueueFullError);
    await expect(Promise.all(accepted)).resolves.toEqual([1, 2]);
  });
});
