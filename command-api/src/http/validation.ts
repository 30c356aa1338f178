import type { Request } from 'express';
import type { z } from 'zod';
import { RequestValidationError } from './errors';

/**
 * Every body, path parameter and query is parsed by a zod schema before a route uses it;
 * a failure is a RequestValidationError, which the error middleware answers with
 * 400 VALIDATION_FAILED (see errors.ts). A missing body counts as `{}`.
 */
export function parseRequest<Schema extends z.ZodTypeAny>(location: 'body' | 'params' | 'query', schema: Schema, req: Request): z.infer<Schema> {
  const input: unknown = location === 'body' ? (req.body ?? {}) : location === 'params' ? req.params : req.query;
  const result = schema.safeParse(input);
  if (!result.success) throw new RequestValidationError(location, result.error.issues);
  return result.data as z.infer<Schema>;
}
