import { z } from './zod';

/** Page size when `limit` is absent. */
export const PAGE_LIMIT_DEFAULT = 50;
/** Largest page a list route answers. */
export const PAGE_LIMIT_MAX = 500;
/** Longest cursor accepted (a cursor is a few keys; anything longer is not ours). */
export const CURSOR_LENGTH_MAX = 1_000;

export const limitParameter = z
  .string()
  .refine((value) => /^[0-9]{1,4}$/.test(value) && Number(value) >= 1 && Number(value) <= PAGE_LIMIT_MAX, {
    message: `expected an integer from 1 to ${PAGE_LIMIT_MAX}`,
    params: { code: 'LIMIT_OUT_OF_RANGE' },
  })
  .transform(Number)
  .optional()
  .transform((value) => value ?? PAGE_LIMIT_DEFAULT)
  .openapi({ type: 'string', description: `Page size, 1 to ${PAGE_LIMIT_MAX}; default ${PAGE_LIMIT_DEFAULT}.` });

/**
 * Keyset cursors: the sort key of the last row of a page, as JSON, base64url-encoded. Opaque
 * to clients; a route decodes it with the zod tuple of its own sort key, so a cursor of
 * another route (or a forged one) is 400 INVALID_CURSOR, never a wrong page.
 */
export function encodeCursor(key: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

export function cursorParameter<Key extends z.ZodTypeAny>(key: Key) {
  return z
    .string()
    .transform((value, ctx): z.infer<Key> => {
      const invalid = () => {
        ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'not a cursor of this list', params: { code: 'INVALID_CURSOR' } });
        return z.NEVER;
      };
      if (value.length > CURSOR_LENGTH_MAX || !/^[A-Za-z0-9_-]+$/.test(value)) return invalid();
      let decoded: unknown;
      try {
        decoded = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
      } catch {
        return invalid();
      }
      const parsed = key.safeParse(decoded);
      return parsed.success ? (parsed.data as z.infer<Key>) : invalid();
    })
    .optional()
    .openapi({ type: 'string', description: 'The `nextCursor` of the previous page.' });
}

/** A page of a list: `items` plus the cursor of the next page, null on the last one. */
export interface Page<Item> {
  items: Item[];
  nextCursor: string | null;
}

/** Cuts `rows` (fetched with `limit + 1`) to a page; the extra row only says that there is a next page. */
export function toPage<Row, Item>(rows: readonly Row[], limit: number, keyOf: (row: Row) => readonly (string | number)[], toItem: (row: Row) => Item): Page<Item> {
  const pageRows = rows.slice(0, limit);
  const last = pageRows[pageRows.length - 1];
  return {
    items: pageRows.map(toItem),
    nextCursor: rows.length > limit && last !== undefined ? encodeCursor(keyOf(last)) : null,
  };
}

export function pageSchema<Item extends z.ZodTypeAny>(item: Item) {
  return z.object({ items: z.array(item), nextCursor: z.string().nullable() });
}
