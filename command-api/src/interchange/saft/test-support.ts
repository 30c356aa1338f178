import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** Test support for the SAF-T tests; never imported by production code. */

export const SAFT_DIR = path.resolve(__dirname, '../../../../schemas/saf-t');
export const SAFT_XSD = path.join(SAFT_DIR, 'Norwegian_SAF-T_Financial_Schema_v_1.10.xsd');
export const SAFT_EXAMPLE = path.join(SAFT_DIR, 'example-saft-financial-small.xml');

/** xmllint's verdict on a document against the SAF-T XSD: '' when valid, its complaints otherwise. */
export function xsdErrors(xml: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'saft-'));
  const file = path.join(dir, 'file.xml');
  writeFileSync(file, xml);
  try {
    execFileSync('xmllint', ['--noout', '--schema', SAFT_XSD, file], { stdio: 'pipe' });
    return '';
  } catch (error) {
    return String((error as { stderr?: Buffer }).stderr ?? error);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The example with one transaction corrupted, for the rejection matrices. */
export const corruptions = [
  ['unbalanced', (xml: string) => xml.replace(/<n1:Amount>12500<\/n1:Amount>(\s*<\/n1:CreditAmount>)/, '<n1:Amount>12499</n1:Amount>$1'), 'UNBALANCED_TRANSACTION'],
  ['unknown account', (xml: string) => xml.replace(/<n1:AccountID>4000<\/n1:AccountID>(\s*<n1:Analysis>)/, '<n1:AccountID>4711</n1:AccountID>$1'), 'ACCOUNT_NOT_FOUND'],
  ['unreadable amount', (xml: string) => xml.replace(/<n1:Amount>2500<\/n1:Amount>(\s*<\/n1:DebitAmount>)/, '<n1:Amount>25.001</n1:Amount>$1'), 'AMOUNT_INVALID'],
] as const;
