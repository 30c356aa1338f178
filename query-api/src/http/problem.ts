import { STATUS_CODES } from 'node:http';
import type { NextFunction, Request, RequestHandler, Response } from 'express';

/** RFC 7807 problem details with NeuroERP's stable machine-readable `code` (the same shape the command API answers). */
export interface QueryProblem {
  type: 'about:blank';
  title: string;
  status: number;
  code: string;
  detail: string;
  instance?: string;
  [member: string]: unknown;
}

/** An expected failure of a query route: answered as problem+json by {@link handle}, never logged as an error. */
export class QueryProblemError extends Error {
  readonly problem: QueryProblem;

  constructor(status: number, code: string, detail: string, extra: Record<string, unknown> = {}) {
    super(detail);
    this.name = 'QueryProblemError';
    this.problem = { type: 'about:blank', title: STATUS_CODES[status] ?? 'Error', status, code, detail, ...extra };
  }
}

export function sendProblem(req: Request, res: Response, error: QueryProblemError): void {
  for (const [name, value] of Object.entries(error.problem.headers ?? {})) res.set(name, String(value));
  const { headers: _headers, ...body } = error.problem;
  res.status(body.status).type('application/problem+json').json({ ...body, instance: req.originalUrl });
}

/**
 * Wraps an async route: expected failures become problem+json here (the query API does not
 * depend on the command API's error middleware); anything else goes to the app's error
 * middleware, which answers 500.
 */
export function handle(run: (req: Request, res: Response) => Promise<void>): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    run(req, res).catch((error: unknown) => {
      if (error instanceof QueryProblemError && !res.headersSent) sendProblem(req, res, error);
      else next(error);
    });
  };
}
