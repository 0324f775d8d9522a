import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Config } from '../config/index.js';
import type { RequiredAal } from '../config/aal.js';
import { Aal2RequiredError, NoActiveSessionError, SessionTokenNotFoundError } from '../errors/index.js';
import { sessionCopyOf, type Identity } from '../identity/model.js';
import { events } from '../tracing/events.js';
import { assuranceLevelOf, isSessionActive, type AuthenticationMethod, type ClientInfo, type Session } from './model.js';
import type { SessionRepository } from './repository.js';

const TOKEN_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const TOKEN_PATTERN = /^ory_st_[A-Za-z0-9]{32}$/;

/** `ory_st_` + 32 characters of [A-Za-z0-9], as Kratos issues them (about 190 bits of randomness). */
export function newSessionToken(): string {
  const bytes = randomBytes(64);
  let token = '';
  for (const byte of bytes) {
    // Rejection sampling keeps every character equally likely (248 = 4 * 62).
    if (byte < 248) token += TOKEN_ALPHABET[byte % 62];
    if (token.length === 32) break;
  }
  return token.length === 32 ? `ory_st_${token}` : newSessionToken();
}

/**
 * A session's logout token (`ory_lo_…`, what `GET /self-service/logout?token=` wants): derived from the session token,
 * so it needs no storage, only the session can produce it, and it does not reveal the session token.
 */
export function logoutTokenOf(sessionToken: string): string {
  return `ory_lo_${createHash('sha256').update(`logout\u0000${sessionToken}`).digest('hex').slice(0, 32)}`;
}

/** Sessions are stored under this hash; a leaked table does not leak usable tokens. */
export function hashSessionToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export interface IssuedSession {
  session: Session;
  token: string;
  tokenHash: string;
}

/**
 * Where a browser gets the second factor a session lacks: the login for aal2, keeping where it was going (Kratos's
 * ErrAALNotSatisfied with PassReturnToAndLoginChallengeParameters).
 */
export function secondFactorLoginUrl(publicBaseUrl: string, returnTo?: string): string {
  const url = new URL(`${publicBaseUrl}/self-service/login/browser`);
  url.searchParams.set('aal', 'aal2');
  if (returnTo) url.searchParams.set('return_to', returnTo);
  return url.toString();
}

/**
 * Whether the identity a session carries can reach aal2 (it has a second factor: Kratos's available AAL); `codeMfa`:
 * codes are a second factor (`selfservice.methods.code.mfa_enabled`), so code addresses count, as Kratos counts them.
 */
export const canReachAal2 = (session: Pick<Session, 'identity'>, codeMfa = false): boolean =>
  session.identity.availableAal === 'aal2' || (codeMfa && session.identity.codeAddresses === true);

/**
 * Kratos's `required_aal` check (session/manager_http.go DoesSessionSatisfy): under `highest_available`, a session proven
 * with one factor of an identity that has a second is refused with 403 session_aal2_required.
 */
export function checkAal(session: Session, required: RequiredAal, publicBaseUrl: string, returnTo?: string, codeMfa = false): void {
  if (required === 'highest_available' && assuranceLevelOf(session.amr) !== 'aal2' && canReachAal2(session, codeMfa)) {
    throw new Aal2RequiredError(secondFactorLoginUrl(publicBaseUrl, returnTo));
  }
}

export function createSessionService(sessions: SessionRepository, config: Pick<Config, 'sessionLifespanMs' | 'aal' | 'publicBaseUrl' | 'recovery'>) {
  /** The session a token belongs to if it is active now; undefined otherwise (never throws for a bad token). */
  async function findActive(token: string | undefined, now: Date): Promise<Session | undefined> {
    if (!token || !TOKEN_PATTERN.test(token)) return undefined;
    const session = await sessions.getByTokenHash(hashSessionToken(token));
    if (!session) return undefined;
    // Kratos records every session a request presents, before checking that it is active.
    events.sessionChecked(session.identityId, session.id);
    return isSessionActive(session, now) ? session : undefined;
  }

  return {
    findActive,

    /** A new session for `identity`, proven by `amr` (by default one password factor, completed now). */
    issue(identity: Identity, client: ClientInfo, now: Date, amr: AuthenticationMethod[] = [{ method: 'password', aal: 'aal1', completedAt: now }]): IssuedSession {
      const token = newSessionToken();
      const session: Session = {
        id: randomUUID(),
        active: true,
        identityId: identity.id,
        authenticatedAt: now,
        issuedAt: now,
        expiresAt: new Date(now.getTime() + config.sessionLifespanMs),
        devices: [{ id: randomUUID(), ipAddress: client.ipAddress, userAgent: client.userAgent?.slice(0, 512) }],
        identity: sessionCopyOf(identity),
        amr,
      };
      return { session, token, tokenHash: hashSessionToken(token) };
    },

    /** The active session of `token`, at the assurance level whoami requires (`returnTo`: where a step-up comes back to). */
    async whoami(token: string | undefined, now: Date, returnTo?: string): Promise<Session> {
      const session = await findActive(token, now);
      if (!session) throw new NoActiveSessionError();
      checkAal(session, config.aal.whoamiRequiredAal, config.publicBaseUrl, returnTo, config.recovery.mfaEnabled);
      return session;
    },

    async logout(token: unknown): Promise<void> {
      // Revoking an already revoked session is a success, as in Kratos; an unknown token is refused.
      if (typeof token !== 'string' || !TOKEN_PATTERN.test(token)) throw new SessionTokenNotFoundError();
      const revoked = await sessions.revokeByTokenHash(hashSessionToken(token));
      if (!revoked) throw new SessionTokenNotFoundError();
      events.sessionRevoked(revoked.identityId, revoked.sessionId);
    },
  };
}
export type SessionService = ReturnType<typeof createSessionService>;
