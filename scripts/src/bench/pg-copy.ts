import type pg from 'pg';

/** The parts of pg's wire connection a COPY needs; pg has them, its type definitions do not list them. */
interface CopyConnection {
  query(text: string): void;
  sendCopyFromChunk(chunk: Buffer): void;
  endCopyFrom(): void;
}

/**
 * `COPY ... FROM STDIN` with nothing but `pg`: a minimal "submittable" (the hook pg-copy-streams
 * uses) that sends the whole payload as one CopyData message when the server asks for it.
 * Good for bounded payloads like a benchmark batch; it does not stream.
 */
class CopyFromStdin implements pg.Submittable {
  private error: Error | null = null;

  constructor(
    private readonly text: string,
    private readonly payload: Buffer,
    private readonly done: (error: Error | null) => void,
  ) {}

  submit(connection: pg.Connection): void {
    (connection as unknown as CopyConnection).query(this.text);
  }

  handleCopyInResponse(connection: pg.Connection): void {
    const copy = connection as unknown as CopyConnection;
    copy.sendCopyFromChunk(this.payload);
    copy.endCopyFrom();
  }

  handleError(error: Error): void {
    // pg detaches a query as soon as the server reports an error: no ReadyForQuery follows for it.
    this.error = error;
    this.done(error);
  }

  handleReadyForQuery(): void {
    if (!this.error) this.done(null);
  }

  handleCommandComplete(): void {}
  handleRowDescription(): void {}
  handleDataRow(): void {}
  handleEmptyQuery(): void {}
  handleCopyData(): void {}
  handlePortalSuspended(): void {}
}

/** Escapes one value for COPY's text format (backslash, tab, newline and carriage return). */
export function copyTextValue(value: string): string {
  return value.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r'));
}

/** Runs `copy <table> (<columns>) from stdin` with rows already in COPY text format. */
export function copyFromStdin(client: pg.ClientBase, copySql: string, rowsText: string): Promise<void> {
  return new Promise((resolve, reject) => {
    client.query(new CopyFromStdin(copySql, Buffer.from(rowsText, 'utf8'), (error) => (error ? reject(error) : resolve())));
  });
}
