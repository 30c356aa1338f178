import { documents as wire } from '@neuroerp/schemas';

/**
 * Recognising an attachment by its leading bytes ("magic bytes"), so that the content type a
 * client declares is never trusted alone. Pure: it looks at the bytes it is given.
 */

/** How many leading bytes are enough to recognise every allowed type (XML may start after a BOM and whitespace). */
export const MAGIC_BYTES_LENGTH = 256;

const PDF = [0x25, 0x50, 0x44, 0x46, 0x2d]; // %PDF-
const PNG = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const JPEG = [0xff, 0xd8, 0xff];
const UTF8_BOM = [0xef, 0xbb, 0xbf];

function startsWith(bytes: Uint8Array, prefix: readonly number[], offset = 0): boolean {
  if (bytes.length < offset + prefix.length) return false;
  return prefix.every((byte, index) => bytes[offset + index] === byte);
}

function looksLikeXml(bytes: Uint8Array): boolean {
  let offset = startsWith(bytes, UTF8_BOM) ? UTF8_BOM.length : 0;
  const end = Math.min(bytes.length, MAGIC_BYTES_LENGTH);
  while (offset < end && [0x20, 0x09, 0x0a, 0x0d].includes(bytes[offset] as number)) offset += 1;
  if (bytes[offset] !== 0x3c) return false; // '<'
  const next = bytes[offset + 1];
  if (next === undefined) return false;
  // `<?xml`, a comment `<!--`, or a root element starting with a letter.
  const isLetter = (next >= 0x41 && next <= 0x5a) || (next >= 0x61 && next <= 0x7a);
  return isLetter || startsWith(bytes, [0x3f, 0x78, 0x6d, 0x6c], offset + 1) || startsWith(bytes, [0x21, 0x2d, 0x2d], offset + 1);
}

/** The allowed content type these bytes are, or null when they are none of them. */
export function detectContentType(leadingBytes: Uint8Array): wire.AttachmentContentType | null {
  if (startsWith(leadingBytes, PDF)) return 'application/pdf';
  if (startsWith(leadingBytes, PNG)) return 'image/png';
  if (startsWith(leadingBytes, JPEG)) return 'image/jpeg';
  if (looksLikeXml(leadingBytes)) return 'application/xml';
  return null;
}

/** "Text/XML; charset=utf-8" → "application/xml"; lower case, without parameters; `text/xml` is XML. */
export function normalizeContentType(declared: string): string {
  const bare = (declared.split(';')[0] ?? '').trim().toLowerCase();
  return bare === 'text/xml' ? 'application/xml' : bare === 'image/jpg' ? 'image/jpeg' : bare;
}

export function isAllowedContentType(contentType: string): contentType is wire.AttachmentContentType {
  return (wire.attachmentContentTypes as readonly string[]).includes(contentType);
}
