import { constants } from 'node:fs';
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createPrivateKey, createPublicKey, generateKeyPair, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint, type JWK } from 'jose';
import { fileExists } from '@neuroerp/infra';

/** The RS256 key that signs access tokens, with its key id (the RFC 7638 thumbprint of the public key). */
export interface SigningKey {
  kid: string;
  privateKey: KeyObject;
  /** The public key as a JWK with `kid`, `alg` and `use`: what `/.well-known/jwks.json` publishes. */
  publicJwk: JWK;
}

export interface LoadedSigningKey {
  key: SigningKey;
  /** `configured` (PEM from configuration), `loaded` (file from an earlier start), `generated` (created now). */
  source: 'configured' | 'loaded' | 'generated';
  /** The key file, unless the key came from configuration. */
  file: string | null;
}

export const SIGNING_KEY_FILE = 'jwt-signing-key.pem';
export const RSA_MODULUS_BITS_MIN = 2048;
const RSA_MODULUS_BITS_GENERATED = 3072;

/** An unusable configured key: the server refuses to start, saying why (never echoing the key). */
export class SigningKeyError extends Error {
  override readonly name = 'SigningKeyError';
}

/**
 * The access-token signing key: the PEM given by configuration if any, else the key in
 * `<keysDir>/jwt-signing-key.pem`, generated on the first start (RSA 3072, PKCS#8, file mode
 * 0600, directory 0700). The key survives restarts, so tokens stay valid across them. A key
 * file readable by group or others is tightened to 0600.
 */
export async function loadSigningKey(options: { privateKeyPem?: string; keysDir: string }): Promise<LoadedSigningKey> {
  if (options.privateKeyPem !== undefined) {
    return { key: await fromPem(options.privateKeyPem, 'the configured JWT_PRIVATE_KEY_PEM'), source: 'configured', file: null };
  }
  await mkdir(options.keysDir, { recursive: true, mode: 0o700 });
  const file = path.join(options.keysDir, SIGNING_KEY_FILE);
  if (!(await fileExists(file))) {
    const pem = await generatePem();
    try {
      // 'wx': never overwrite; if two processes start at once, the second one reads the first one's key.
      await writeFile(file, pem, { mode: 0o600, flag: 'wx' });
      return { key: await fromPem(pem, file), source: 'generated', file };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  const { mode } = await stat(file);
  if ((mode & (constants.S_IRWXG | constants.S_IRWXO)) !== 0) await chmod(file, 0o600);
  return { key: await fromPem(await readFile(file, 'utf8'), file), source: 'loaded', file };
}


function generatePem(): Promise<string> {
  return new Promise((resolve, reject) => {
    generateKeyPair(
      'rsa',
      { modulusLength: RSA_MODULUS_BITS_GENERATED, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } },
      (error, _publicKey, privateKey) => (error ? reject(error) : resolve(privateKey)),
    );
  });
}

/** Accepts PKCS#8 or PKCS#1 PEM; `\n` written as two characters (as env files often do) is understood. */
async function fromPem(pem: string, origin: string): Promise<SigningKey> {
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(pem.includes('\\n') ? pem.replace(/\\n/g, '\n') : pem);
  } catch {
    throw new SigningKeyError(`${origin} is not a readable PEM private key`);
  }
  const bits = privateKey.asymmetricKeyDetails?.modulusLength ?? 0;
  if (privateKey.asymmetricKeyType !== 'rsa' || bits < RSA_MODULUS_BITS_MIN) {
    throw new SigningKeyError(`${origin} must be an RSA private key of at least ${RSA_MODULUS_BITS_MIN} bits for RS256`);
  }
  const jwk = createPublicKey(privateKey).export({ format: 'jwk' }) as JWK;
  const kid = await calculateJwkThumbprint({ kty: 'RSA', n: jwk.n, e: jwk.e }, 'sha256');
  return { kid, privateKey, publicJwk: { kty: 'RSA', n: jwk.n, e: jwk.e, kid, alg: 'RS256', use: 'sig' } };
}
