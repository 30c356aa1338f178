import type { RequestHandler } from 'express';
import { problem } from '../app';
import { HttpProblemError } from './errors';

/** Deepest nesting of arrays and objects a request body may have; real commands stay below 8. */
export const JSON_DEPTH_MAX = 32;

/** The nesting depth of a parsed JSON value, measured without recursion (so it cannot overflow the stack). */
export function jsonDepth(value: unknown): number {
  let deepest = 0;
  const pending: [unknown, number][] = [[value, 0]];
  while (pending.length > 0) {
    const [current, depth] = pending.pop() as [unknown, number];
    if (current === null || typeof current !== 'object') continue;
    const level = depth + 1;
    if (level > deepest) deepest = level;
    if (level > JSON_DEPTH_MAX) return level;
    for (const child of Array.isArray(current) ? current : Object.values(current)) pending.push([child, level]);
  }
  return deepest;
}

/** Refuses bodies nested deeper than JSON_DEPTH_MAX with 400 JSON_TOO_DEEP, before any handler walks them. */
export const rejectDeepJson: RequestHandler = (req, _res, next) => {
  if (jsonDepth(req.body) > JSON_DEPTH_MAX) {
    next(new HttpProblemError(problem(400, 'JSON_TOO_DEEP', `The request body is nested deeper than ${JSON_DEPTH_MAX} levels.`)));
    return;
  }
  next();
};
