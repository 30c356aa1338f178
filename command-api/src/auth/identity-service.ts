import { randomUUID } from 'node:crypto';
import { identity as domain } from '@neuroerp/domains';
import { EventStoreError, type EventStore, type ExpectedVersion } from '@neuroerp/infra';
import { identity as wire, type Actor, type NewEvent } from '@neuroerp/schemas';
import { IdentityHttpError } from './errors';
import { hashPassword, SCRYPT_COST_DEFAULT, verifyPassword, type ScryptCost } from './passwords';
import { newRefreshToken, refreshTokenFamily, refreshTokenHash, type TokenService } from './tokens';
import { UserDirectory, type UserView } from './user-directory';

/** Appends that lose an expected-version race are re-decided at most this often. */
const CONFLICT_RETRIES_MAX = 5;
/** Longest stream the identity context reads: a refresh family with every rotation, plus margin. */
const STREAM_EVENTS_MAX = domain.ROTATIONS_PER_FAMILY_MAX + 10;

/** Where a command comes from, for the events' metadata. */
export interface RequestContext {
  requestId: string | null;
}

export interface TokenPair {
  tokenType: 'Bearer';
  accessToken: string;
  /** Seconds until the access token expires. */
  expiresIn: number;
  refreshToken: string;
  /** Seconds until the refresh token expires (each refresh issues a new one). */
  refreshExpiresIn: number;
  user: { userId: string; username: string; role: wire.Role };
}

export interface IdentityServiceOptions {
  eventStore: Pick<EventStore, 'appendToStream' | 'readStream' | 'readAll'>;
  tokens: TokenService;
  refreshTokenTtlSeconds: number;
  clock?: () => Date;
  /** Lower only in tests: hashing with the default cost takes tens of milliseconds. */
  scryptCost?: ScryptCost;
}

interface Decider<Command, Event, State> {
  decide: (command: Command, state: State) => Event[];
  evolve: (state: State, event: { type: string; data: unknown }) => State;
  initialState: () => State;
}

/**
 * The identity command handler: load the stream → decide → append with the expected version
 * → on a version conflict reload and decide again. Every method writes at most one stream.
 */
export class IdentityService {
  readonly directory: UserDirectory;
  private readonly clock: () => Date;
  private readonly scryptCost: ScryptCost;
  private dummyHash: Promise<string> | null = null;

  constructor(private readonly options: IdentityServiceOptions) {
    this.clock = options.clock ?? (() => new Date());
    this.scryptCost = options.scryptCost ?? SCRYPT_COST_DEFAULT;
    this.directory = new UserDirectory(options.eventStore);
  }

  /** Self-registration: a new account with the least-privileged role, `guest`. */
  register(body: wire.RegisterBody, context: RequestContext): Promise<UserView> {
    return this.create({ ...body, role: 'guest' }, null, context);
  }

  /** An account created by an admin (permission users:manage) with any role. */
  createUser(body: wire.CreateUserBody, actor: Actor, context: RequestContext): Promise<UserView> {
    return this.create(body, actor, context);
  }

  async login(body: wire.LoginBody, context: RequestContext): Promise<TokenPair> {
    const claim = await this.load(domain.usernameStreamId(body.username), domain.username);
    const user = claim.state.claimedBy === null ? null : (await this.load(domain.userStreamId(claim.state.claimedBy), domain.user)).state;
    if (user === null || user.status !== 'active' || user.passwordHash === null) {
      // Spend the same time as for a wrong password, so that response times do not reveal user names.
      await verifyPassword(body.password, await this.timingDummyHash());
      throw invalidCredentials();
    }
    if (!(await verifyPassword(body.password, user.passwordHash))) throw invalidCredentials();
    const active = activeUser(user);
    const familyId = randomUUID();
    const refreshToken = newRefreshToken(familyId);
    const actor: Actor = { userId: active.userId, role: active.role };
    await this.handle(domain.refreshFamilyStreamId(familyId), domain.refreshFamily, () => ({
      type: 'LogIn' as const,
      data: { familyId, userId: active.userId, tokenHash: refreshTokenHash(refreshToken), expiresAt: this.refreshExpiresAt() },
      metadata: this.metadata(actor),
    }), context);
    return this.tokenPair(active, familyId, refreshToken);
  }

  /** Rotates the refresh token: the presented one dies, a new pair is issued with the user's current role. */
  async refresh(presentedToken: string, context: RequestContext): Promise<TokenPair> {
    const familyId = familyOf(presentedToken);
    const newToken = newRefreshToken(familyId);
    let active: ReturnType<typeof activeUser> | null = null;
    const { events } = await this.handle(domain.refreshFamilyStreamId(familyId), domain.refreshFamily, async (family) => {
      const user = family.userId === null ? null : (await this.load(domain.userStreamId(family.userId), domain.user)).state;
      active = user !== null && user.status === 'active' ? activeUser(user) : null;
      return {
        type: 'RotateRefreshToken' as const,
        data: { familyId, presentedTokenHash: refreshTokenHash(presentedToken), newTokenHash: refreshTokenHash(newToken), expiresAt: this.refreshExpiresAt(), userActive: active !== null },
        metadata: this.metadata({ userId: family.userId ?? 'unknown', role: user?.role ?? 'unknown' }),
      };
    }, context);
    const [event] = events;
    if (event?.type === 'identity.refresh_token_rotated' && active !== null) return this.tokenPair(active, familyId, newToken);
    throw rejectionOf(events);
  }

  /** Ends the session of the presented refresh token; a repeated logout is no change. */
  async logout(presentedToken: string, context: RequestContext): Promise<void> {
    const familyId = familyOf(presentedToken);
    const { events } = await this.handle(domain.refreshFamilyStreamId(familyId), domain.refreshFamily, async (family) => {
      const user = family.userId === null ? null : (await this.load(domain.userStreamId(family.userId), domain.user)).state;
      return {
        type: 'LogOut' as const,
        data: { familyId, presentedTokenHash: refreshTokenHash(presentedToken) },
        metadata: this.metadata({ userId: family.userId ?? 'unknown', role: user?.role ?? 'unknown' }),
      };
    }, context);
    if (events.some((event) => event.type === 'identity.refresh_family_revoked')) throw rejectionOf(events);
  }

  async getUser(userId: string): Promise<UserView> {
    const { state } = await this.load(domain.userStreamId(checkedUserId(userId)), domain.user);
    if (state.status !== 'active') throw userNotFound(userId);
    return view(activeUser(state), state);
  }

  async changeRole(userId: string, role: wire.Role, actor: Actor, context: RequestContext): Promise<UserView> {
    const { state } = await this.handle(domain.userStreamId(checkedUserId(userId)), domain.user, () => ({
      type: 'ChangeUserRole' as const,
      data: { userId, role },
      metadata: this.metadata(actor),
    }), context);
    return view(activeUser(state), state);
  }

  async deleteUser(userId: string, actor: Actor, context: RequestContext): Promise<void> {
    await this.handle(domain.userStreamId(checkedUserId(userId)), domain.user, () => ({
      type: 'DeleteUser' as const,
      data: { userId },
      metadata: this.metadata(actor),
    }), context);
  }

  private async create(body: wire.CreateUserBody, creator: Actor | null, context: RequestContext): Promise<UserView> {
    const violations = wire.passwordPolicyViolations(body.password);
    if (violations.length > 0) throw new IdentityHttpError('WEAK_PASSWORD', `The password needs ${violations.join(', ')}.`, { violations });
    const userId = randomUUID();
    const passwordHash = await hashPassword(body.password, this.scryptCost);
    // Self-registration acts as the new user itself.
    const actor: Actor = creator ?? { userId, role: body.role };
    await this.handle(domain.usernameStreamId(body.username), domain.username, () => ({
      type: 'ClaimUsername' as const,
      data: { username: body.username, userId },
      metadata: this.metadata(actor),
    }), context);
    // The claim is ours, so nobody else writes this new stream: expected `no_stream` holds.
    const { state } = await this.handle(domain.userStreamId(userId), domain.user, () => ({
      type: 'CreateUser' as const,
      data: { userId, username: body.username, displayName: body.displayName ?? null, role: body.role, passwordHash, createdBy: creator?.userId ?? 'self' },
      metadata: this.metadata(actor),
    }), context);
    return view(activeUser(state), state);
  }

  private async load<State>(streamId: string, decider: Pick<Decider<never, unknown, State>, 'evolve' | 'initialState'>): Promise<{ state: State; version: ExpectedVersion }> {
    const events = await this.options.eventStore.readStream(streamId, { maxCount: STREAM_EVENTS_MAX });
    if (events.length >= STREAM_EVENTS_MAX) throw new Error(`stream ${streamId} is longer than ${STREAM_EVENTS_MAX} events`);
    const last = events.at(-1);
    return { state: events.reduce(decider.evolve, decider.initialState()), version: last === undefined ? 'no_stream' : last.streamVersion };
  }

  private async handle<Command, Event extends { type: wire.IdentityEventType; data: unknown }, State>(
    streamId: string,
    decider: Decider<Command, Event, State>,
    command: (state: State) => Command | Promise<Command>,
    context: RequestContext,
  ): Promise<{ events: Event[]; state: State }> {
    for (let attempt = 0; attempt <= CONFLICT_RETRIES_MAX; attempt += 1) {
      const { state, version } = await this.load(streamId, decider);
      const decided = await command(state);
      const events = decider.decide(decided, state);
      const stateAfter = events.reduce(decider.evolve, state);
      if (events.length === 0) return { events, state: stateAfter };
      const metadata = (decided as { metadata: domain.CommandMetadata }).metadata;
      try {
        await this.options.eventStore.appendToStream(streamId, events.map((event) => this.toNewEvent(event, metadata, context)), { expectedVersion: version });
        return { events, state: stateAfter };
      } catch (error) {
        if (!(error instanceof EventStoreError && error.code === 'WRONG_EXPECTED_VERSION')) throw error;
      }
    }
    throw new IdentityHttpError('CONCURRENT_MODIFICATION', 'The record changed concurrently too often; try again.');
  }

  private toNewEvent(event: { type: wire.IdentityEventType; data: unknown }, metadata: domain.CommandMetadata, context: RequestContext): NewEvent {
    const correlationId = context.requestId ?? randomUUID();
    return {
      eventId: randomUUID(),
      type: event.type,
      schemaVersion: wire.identityEventCatalogue[event.type].schemaVersion,
      data: event.data,
      metadata: { actor: metadata.actor, correlationId, causationId: null, occurredAt: metadata.now, requestId: context.requestId },
    };
  }

  private metadata(actor: Actor): domain.CommandMetadata {
    return { actor, now: this.clock().toISOString() };
  }

  private refreshExpiresAt(): string {
    return new Date(this.clock().getTime() + this.options.refreshTokenTtlSeconds * 1000).toISOString();
  }

  private async tokenPair(user: { userId: string; username: string; role: wire.Role }, familyId: string, refreshToken: string): Promise<TokenPair> {
    const access = await this.options.tokens.issueAccessToken({ userId: user.userId, role: user.role, sessionId: familyId });
    return {
      tokenType: 'Bearer',
      accessToken: access.token,
      expiresIn: this.options.tokens.accessTokenTtlSeconds,
      refreshToken,
      refreshExpiresIn: this.options.refreshTokenTtlSeconds,
      user: { userId: user.userId, username: user.username, role: user.role },
    };
  }

  private timingDummyHash(): Promise<string> {
    this.dummyHash ??= hashPassword(randomUUID(), this.scryptCost);
    return this.dummyHash;
  }
}

function activeUser(state: domain.user.UserState): { userId: string; username: string; role: wire.Role } {
  if (state.userId === null || state.username === null || state.role === null) throw new Error('user state without identity');
  return { userId: state.userId, username: state.username, role: state.role };
}

function view(user: { userId: string; username: string; role: wire.Role }, state: domain.user.UserState): UserView {
  return { ...user, displayName: state.displayName, createdAt: state.createdAt ?? '' };
}

function familyOf(token: string): string {
  const familyId = refreshTokenFamily(token);
  if (familyId === null) throw new IdentityHttpError('REFRESH_TOKEN_INVALID', 'The refresh token is malformed.');
  return familyId;
}

function checkedUserId(userId: string): string {
  if (!wire.UUID_PATTERN.test(userId)) throw userNotFound(userId);
  return userId;
}

function userNotFound(userId: string): IdentityHttpError {
  return new IdentityHttpError('USER_NOT_FOUND', 'No such user.', { userId: userId.slice(0, 100) });
}

function invalidCredentials(): IdentityHttpError {
  return new IdentityHttpError('INVALID_CREDENTIALS', 'The user name or the password is wrong.');
}

/** Why a refresh or logout was refused, from the events that recorded it. */
function rejectionOf(events: readonly { type: string; data: unknown }[]): IdentityHttpError {
  const [event] = events;
  if (event?.type === 'identity.refresh_family_revoked') {
    const { reason } = event.data as wire.RefreshFamilyRevoked;
    if (reason === 'reuse_detected') return new IdentityHttpError('REFRESH_TOKEN_REUSED', 'This refresh token was used before; the whole session is revoked. Log in again.');
    return new IdentityHttpError('REFRESH_TOKEN_REVOKED', 'The session ended because the user no longer exists.');
  }
  if (event?.type === 'identity.token_expired') return new IdentityHttpError('REFRESH_TOKEN_EXPIRED', 'The refresh token has expired; log in again.');
  throw new Error(`unexpected outcome of a refresh: ${JSON.stringify(events.map((e) => e.type))}`);
}
