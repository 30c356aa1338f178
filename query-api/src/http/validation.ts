import type { z } from './zod';
import { QueryProblemError } from './problem';

/**
 * Parses a query string or path parameters with a zod schema. A failure answers 400 with the
 * code of the first issue (`params.code` of a refinement, e.g. `INVALID_CURSOR`), or
 * `UNKNOWN_PARAMETER` for a parameter the route does not take, or `VALIDATION_FAILED`;
 * every issue is listed in `issues`.
 */
export function parseInput<Schema extends z.ZodTypeAny>(location: 'query' | 'params', schema: Schema, input: unknown): z.infer<Schema> {
  const result = schema.safeParse(input);
  if (result.success) return result.data as z.infer<Schema>;
  const issues = result.error.issues.map((issue) => ({
    path: [location, ...issue.path].join('.'),
    message: issue.message,
    code: issueCode(issue),
  }));
  const first = issues[0];
  throw new QueryProblemError(400, first?.code ?? 'VALIDATION_FAILED', `Invalid ${location}: ${issues.map((issue) => `${issue.path}: ${issue.message}`).join('; ')}`, { issues });
}

function issueCode(issue: z.ZodIssue): string {
  if (issue.code === 'unrecognized_keys') return 'UNKNOWN_PARAMETER';
  if (issue.code === 'custom') {
    const code = (issue.params as { code?: unknown } | undefined)?.code;
    if (typeof code === 'string') return code;
  }
  return 'VALIDATION_FAILED';
}
