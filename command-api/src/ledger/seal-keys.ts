import { constants } from 'node:fs';
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createPrivateKey, generateKeyPair, type KeyObject } from 'node:crypto';
import { Router } from 'express';
import { publishSealKey, sealKeyId, sealKeysFromDocument, type SealKeysDocument } from '@neuroerp/infra';
import { fileExists } from '@neuroerp/infra';

/** The Ed25519 key that signs period seals, with its key id (docs/adr/0006-period-seals.md). */
export interface SealKey {
  /** First 16 hex digits of SHA-256 over the public key's DER (SPKI). */
  kid: string;
  privateKey: KeyObject;
}

export interface LoadedSealKey {
  key: SealKey;
  /** `configured` (SEAL_PRIVATE_KEY_PEM), `loaded` (file from an earlier start), `generated` (created now). */
  source: 'configured' | 'loaded' | 'generated';
  /** The key file, unless the key came from configuration. */
  file: string | null;
}

export const SEAL_KEY_FILE = 'seal-ed25519.pem';
/** Where the public seal keys are published. */
export const SEAL_KEYS_PATH = '/.well-known/neuroerp-seal-keys.json';

/** An unusable configured key: the server refuses to start, saying why (never echoing the key). */
export class SealKeyError extends Error {
  override readonly name = 'SealKeyError';
}

/**
 * The seal signing key, loaded exactly like the JWT signing key (auth/keys.ts): the PEM given
 * by configuration (SEAL_PRIVATE_KEY_PEM) if any, else `<keysDir>/seal-ed25519.pem`,
 * generated on first use (Ed25519, PKCS#8, file mode 0600, directory 0700). A key file
 * readable by group or others is tightened to 0600. Losing the key does not invalidate old
 * seals (their public key stays published); it only means new seals carry a new key id.
 */
export async function loadSealKey(options: { privateKeyPem?: string; keysDir: string }): Promise<LoadedSealKey> {
  if (options.privateKeyPem !== undefined) {
    return { key: fromPem(options.privateKeyPem, 'the configured SEAL_PRIVATE_KEY_PEM'), source: 'configured', file: null };
  }
  await mkdir(options.keysDir, { recursive: true, mode: 0o700 });
  const file = path.join(options.keysDir, SEAL_KEY_FILE);
  if (!(await fileExists(file))) {
    const pem = await generatePem();
    try {
      // 'wx': never overwrite; if two processes start at once, the second one reads the first one's key.
      await writeFile(file, pem, { mode: 0o600, flag: 'wx' });
      return { key: fromPem(pem, file), source: 'generated', file };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  const { mode } = await stat(file);
  if ((mode & (constants.S_IRWXG | constants.S_IRWXO)) !== 0) await chmod(file, 0o600);
  return { key: fromPem(await readFile(file, 'utf8'), file), source: 'loaded', file };
}

/**
 * The seal key if one exists, without generating one: what `verify` uses on the server's own
 * data (a verifier must never create the key it checks against). null when there is none.
 */
export async function findSealKey(options: { privateKeyPem?: string; keysDir: string }): Promise<SealKey | null> {
  if (options.privateKeyPem !== undefined) return fromPem(options.privateKeyPem, 'the configured SEAL_PRIVATE_KEY_PEM');
  const file = path.join(options.keysDir, SEAL_KEY_FILE);
  if (!(await fileExists(file))) return null;
  return fromPem(await readFile(file, 'utf8'), file);
}


function generatePem(): Promise<string> {
  return new Promise((resolve, reject) => {
    generateKeyPair('ed25519', { publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } }, (error, _publicKey, privateKey) =>
      error ? reject(error) : resolve(privateKey),
    );
  });
}

/** PKCS#8 PEM; `\n` written as two characters (as env files often do) is understood. */
function fromPem(pem: string, origin: string): SealKey {
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(pem.includes('\\n') ? pem.replace(/\\n/g, '\n') : pem);
  } catch {
    throw new SealKeyError(`${origin} is not a readable PEM private key`);
  }
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new SealKeyError(`${origin} must be an Ed25519 private key`);
  return { kid: sealKeyId(privateKey), privateKey };
}

/** The public keys document: every key a seal in the log may be signed with. */
export function sealKeysDocument(keys: readonly SealKey[]): SealKeysDocument {
  return { keys: keys.map((key) => publishSealKey(key.privateKey)) };
}

/** The verification keys by key id, as `verifyLogWithSeals` and the inalterability report take them. */
export function sealVerificationKeys(keys: readonly SealKey[]): Map<string, KeyObject> {
  return sealKeysFromDocument(sealKeysDocument(keys));
}

/**
 * `GET /.well-known/neuroerp-seal-keys.json` → `{ keys: [{ kid, alg: 'Ed25519', publicKeyPem, jwk }] }`.
 * Public and cacheable: anyone holding a seal must be able to check it.
 */
export function createSealKeysRouter(options: { keys: readonly SealKey[] }): Router {
  const document = sealKeysDocument(options.keys);
  const router = Router();
  router.get(SEAL_KEYS_PATH, (_req, res) => {
    res.set('Cache-Control', 'public, max-age=300').json(document);
  });
  return router;
}
