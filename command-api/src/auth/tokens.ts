import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createLocalJWKSet, errors as joseErrors, jwtVerify, SignJWT, type JWK } from 'jose';
import { identity as wire } from '@neuroerp/schemas';
import { IdentityHttpError } from './errors';
import type { SigningKey } from './keys';

export const ACCESS_TOKEN_TTL_SECONDS_DEFAULT = 3600;
export const REFRESH_TOKEN_TTL_SECONDS_DEFAULT = 7 * 24 * 3600;
export const JWT_ISSUER_DEFAULT = 'neuroerp';
/** Who access tokens are for: the NeuroERP APIs. */
export const JWT_AUDIENCE = 'neuroerp-api';
/** RFC 9068: the `typ` header of a JWT access token, so that no other JWT of ours passes as one. */
const ACCESS_TOKEN_TYPE = 'at+jwt';
/** Clock skew tolerated between the signer and a verifier. */
const CLOCK_TOLERANCE_SECONDS = 5;
/** Verified access tokens remembered per process (a token is ~700 bytes: about 7 MB at most). */
export const VERIFIED_TOKENS_CACHED_MAX = 10_000;

export interface AccessTokenClaims {
  userId: string;
  role: wire.Role;
  /** The login session (refresh-token family) the token was issued in. */
  sessionId: string;
  tokenId: string;
  expiresAt: Date;
}

export interface TokenServiceOptions {
  key: SigningKey;
  issuer: string;
  accessTokenTtlSeconds: number;
  clock?: () => Date;
}

/**
 * Issues and verifies access tokens: RS256 JWTs with `iss`, `aud`, `sub` (the user id),
 * `role`, `sid` (the session), `jti`, `iat` and `exp`. Verification is stateless: a token is
 * valid until it expires, so a role change or deletion reaches the client at its next
 * refresh, at most ACCESS_TOKEN_TTL later.
 */
export class TokenService {
  private readonly jwks: ReturnType<typeof createLocalJWKSet>;
  private readonly clock: () => Date;
  /**
   * Tokens whose signature and claims were verified, in least-recently-used order. A hit is
   * re-checked against its expiry (and not-before) with the current clock, so caching changes
   * the cost of a verification, never its outcome: tokens are stateless and cannot be revoked
   * before they expire.
   */
  private readonly verified = new Map<string, { claims: AccessTokenClaims; notBeforeMs: number }>();

  constructor(private readonly options: TokenServiceOptions) {
    this.jwks = createLocalJWKSet({ keys: [options.key.publicJwk] });
    this.clock = options.clock ?? (() => new Date());
  }

  get accessTokenTtlSeconds(): number {
    return this.options.accessTokenTtlSeconds;
  }

  /** The JSON Web Key Set published at `/.well-known/jwks.json`. */
  publicJwks(): { keys: JWK[] } {
    return { keys: [this.options.key.publicJwk] };
  }

  async issueAccessToken(subject: { userId: string; role: wire.Role; sessionId: string }): Promise<{ token: string; expiresAt: Date }> {
    const issuedAtSeconds = Math.floor(this.clock().getTime() / 1000);
    const expiresAtSeconds = issuedAtSeconds + this.options.accessTokenTtlSeconds;
    const token = await new SignJWT({ role: subject.role, sid: subject.sessionId })
      .setProtectedHeader({ alg: 'RS256', kid: this.options.key.kid, typ: ACCESS_TOKEN_TYPE })
      .setIssuer(this.options.issuer)
      .setAudience(JWT_AUDIENCE)
      .setSubject(subject.userId)
      .setJti(randomUUID())
      .setIssuedAt(issuedAtSeconds)
      .setExpirationTime(expiresAtSeconds)
      .sign(this.options.key.privateKey);
    return { token, expiresAt: new Date(expiresAtSeconds * 1000) };
  }

  /** The claims of a valid token; IdentityHttpError TOKEN_EXPIRED or TOKEN_INVALID otherwise. */
  async verifyAccessToken(token: string): Promise<AccessTokenClaims> {
    const cached = this.verified.get(token);
    if (cached !== undefined) {
      const nowMs = this.clock().getTime();
      const toleranceMs = CLOCK_TOLERANCE_SECONDS * 1000;
      if (nowMs < cached.claims.expiresAt.getTime() + toleranceMs && nowMs >= cached.notBeforeMs - toleranceMs) {
        this.verified.delete(token);
        this.verified.set(token, cached);
        return cached.claims;
      }
      this.verified.delete(token);
    }
    const claims = await this.verifyUncached(token);
    this.remember(token, claims);
    return claims;
  }

  private remember(token: string, claims: AccessTokenClaims): void {
    const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { nbf?: unknown; iat?: unknown };
    const notBefore = typeof payload.nbf === 'number' ? payload.nbf : 0;
    this.verified.set(token, { claims, notBeforeMs: notBefore * 1000 });
    if (this.verified.size > VERIFIED_TOKENS_CACHED_MAX) {
      const oldest = this.verified.keys().next();
      if (oldest.done !== true) this.verified.delete(oldest.value);
    }
  }

  private async verifyUncached(token: string): Promise<AccessTokenClaims> {
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(token, this.jwks, {
        algorithms: ['RS256'],
        issuer: this.options.issuer,
        audience: JWT_AUDIENCE,
        typ: ACCESS_TOKEN_TYPE,
        currentDate: this.clock(),
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        requiredClaims: ['sub', 'exp', 'iat', 'jti'],
      }));
    } catch (error) {
      if (error instanceof joseErrors.JWTExpired) throw new IdentityHttpError('TOKEN_EXPIRED', 'The access token has expired; refresh it.');
      if (error instanceof joseErrors.JOSEError || error instanceof TypeError) throw new IdentityHttpError('TOKEN_INVALID', 'The access token is not valid.');
      throw error;
    }
    const role = wire.roleSchema.safeParse(payload.role);
    const userId = wire.userIdSchema.safeParse(payload.sub);
    if (!role.success || !userId.success || typeof payload.sid !== 'string' || typeof payload.jti !== 'string' || typeof payload.exp !== 'number') {
      throw new IdentityHttpError('TOKEN_INVALID', 'The access token lacks a valid subject, role or session.');
    }
    return { userId: userId.data, role: role.data, sessionId: payload.sid, tokenId: payload.jti, expiresAt: new Date(payload.exp * 1000) };
  }
}

/** A new refresh token `<familyId>.<32 random bytes, base64url>`; only its SHA-256 is ever stored. */
export function newRefreshToken(familyId: string): string {
  return `${familyId}.${randomBytes(32).toString('base64url')}`;
}

export function refreshTokenHash(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** The family id of a well-formed refresh token, else null. */
export function refreshTokenFamily(token: string): string | null {
  return wire.REFRESH_TOKEN_PATTERN.test(token) ? token.slice(0, 36) : null;
}
