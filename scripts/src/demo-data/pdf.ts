/**
 * A minimal, valid, single-page PDF 1.4 with lines of text in Helvetica (WinAnsiEncoding),
 * written byte for byte so that the cross-reference offsets are exact. No timestamps, no ids:
 * the same text gives the same bytes, hence the same SHA-256, which keeps attachments
 * (content-addressed) idempotent.
 */

/** Lines a demo page holds at most (A4 at 14 pt leading from the top margin). */
export const PDF_LINES_MAX = 50;

/** Characters of WinAnsiEncoding outside Latin-1 that the demo texts use. */
const WIN_ANSI_EXTRA: Readonly<Record<string, number>> = { '€': 0x80, '–': 0x96, '„': 0x84, '“': 0x93 };

/** A PDF literal string: ASCII as is (with `\`, `(`, `)` escaped), other WinAnsi characters as octal escapes, anything else `?`. */
function pdfString(text: string): string {
  let out = '(';
  for (const character of text) {
    const code = WIN_ANSI_EXTRA[character] ?? character.codePointAt(0) ?? 0x3f;
    if (character === '\\' || character === '(' || character === ')') out += `\\${character}`;
    else if (code >= 0x20 && code < 0x7f) out += character;
    else if (code >= 0x80 && code <= 0xff) out += `\\${code.toString(8).padStart(3, '0')}`;
    else out += '?';
  }
  return `${out})`;
}

/** A one-page PDF: `title` in 16 pt, then `lines` in 10 pt. */
export function textPdf(title: string, lines: readonly string[]): Buffer {
  if (lines.length > PDF_LINES_MAX) throw new Error(`a demo PDF holds at most ${PDF_LINES_MAX} lines, got ${lines.length}`);
  const content = ['BT', '/F1 16 Tf', '56 780 Td', `${pdfString(title)} Tj`, '/F1 10 Tf', '14 TL', 'T*', ...lines.flatMap((line) => ['T*', `${pdfString(line)} Tj`]), 'ET'].join('\n');
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>',
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>',
    `<< /Length ${content.length} >>\nstream\n${content}\nendstream`,
  ];
  // Every character below is one byte in latin1 (the content is ASCII after escaping).
  let pdf = '%PDF-1.4\n%\xe2\xe3\xcf\xd3\n';
  const offsets: number[] = [];
  objects.forEach((body, index) => {
    offsets.push(pdf.length);
    pdf += `${index + 1} 0 obj\n${body}\nendobj\n`;
  });
  const xref = pdf.length;
  pdf += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const offset of offsets) pdf += `${String(offset).padStart(10, '0')} 00000 n \n`;
  pdf += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(pdf, 'latin1');
}
