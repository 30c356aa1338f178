/** A changed, added or removed leaf between two document versions. */
export interface FieldChange {
  path: string;
  kind: 'added' | 'removed' | 'changed';
  before: string | null;
  after: string | null;
}

function flatten(value: unknown, prefix: string, into: Map<string, string>): void {
  if (value !== null && typeof value === 'object') {
    const entries = Array.isArray(value) ? value.map((item, index) => [String(index), item] as const) : Object.entries(value as Record<string, unknown>);
    if (entries.length === 0) into.set(prefix, Array.isArray(value) ? '[]' : '{}');
    for (const [key, member] of entries) flatten(member, prefix === '' ? key : `${prefix}.${key}`, into);
    return;
  }
  into.set(prefix, value === undefined ? '' : JSON.stringify(value));
}

/** Field-level differences of two JSON values, by dotted path (`lines.0.quantity`), sorted by path. */
export function diffFields(before: unknown, after: unknown): FieldChange[] {
  const a = new Map<string, string>();
  const b = new Map<string, string>();
  flatten(before, '', a);
  flatten(after, '', b);
  const paths = [...new Set([...a.keys(), ...b.keys()])].sort();
  const changes: FieldChange[] = [];
  for (const path of paths) {
    const left = a.get(path);
    const right = b.get(path);
    if (left === right) continue;
    changes.push({ path, kind: left === undefined ? 'added' : right === undefined ? 'removed' : 'changed', before: left ?? null, after: right ?? null });
  }
  return changes;
}
