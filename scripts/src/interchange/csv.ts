/**
 * CSV as auditors' tools read it (RFC 4180): fields with the delimiter, a quote or a line
 * break are quoted, quotes doubled; records end with CRLF.
 */
export const CSV_RECORD_DELIMITER = '\r\n';

export function csvField(value: string, delimiter: string): string {
  return value.includes(delimiter) || value.includes('"') || value.includes('\n') || value.includes('\r') ? `"${value.replace(/"/g, '""')}"` : value;
}

export function csv(header: readonly string[] | null, rows: readonly (readonly string[])[], delimiter: string): string {
  const records = header === null ? rows : [header, ...rows];
  return records.map((record) => record.map((field) => csvField(field, delimiter)).join(delimiter) + CSV_RECORD_DELIMITER).join('');
}

/** Parses what `csv` writes (for tests and for checking exports). */
export function parseCsv(text: string, delimiter: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let quoted = false;
  for (let index = 0; index < text.length; index += 1) {
    const char = text[index];
    if (quoted) {
      if (char === '"' && text[index + 1] === '"') {
        field += '"';
        index += 1;
      } else if (char === '"') quoted = false;
      else field += char;
    } else if (char === '"') quoted = true;
    else if (char === delimiter) {
      record.push(field);
      field = '';
    } else if (char === '\r' && text[index + 1] === '\n') {
      record.push(field);
      records.push(record);
      record = [];
      field = '';
      index += 1;
    } else field += char;
  }
  if (field !== '' || record.length > 0) records.push([...record, field]);
  return records;
}
