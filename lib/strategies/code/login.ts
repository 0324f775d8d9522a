/**
 * Login by e-mailed code (Kratos's `selfservice/strategy/code/strategy_login.go`).
 *
 * Passwordless (aal1, `passwordless_enabled`): the identifier
 * is looked up among the code addresses (Kratos's `code` credential, derived from the identity schema's
 * `credentials.code` extension); an address nobody has is answered 4000035 (as Kratos answers: this step reveals
 * whether an account has code login, see README); a known one is sent a code (`sent_email`, the flow given over to
 * `code`). The code is a guess as a password is: counted against the flow's submissions and the login throttle's
 * limits for the address and the client. The right code spends itself with the flow's completion (one of two
 * submissions wins), marks the address verified, and the login signs in with `{method: "code", aal: "aal1"}`.
 *
 * Second factor (aal2, `mfa_enabled`): a login asking for aal2 offers one "Send code to <address>" button per code
 * address of the signed-in identity (1010023; `?via=<trait>` picks one), or sends the code at once when that is the
 * identity's only second factor and it has one address (Kratos's FastLogin2FA); the code then steps the session up.
 */
import { randomUUID } from 'node:crypto';
import { queuedMessage } from '../../courier/model.js';
import { BadRequestError } from '../../errors/index.js';
import { failedWith, stringField, type FlowRequest } from '../../flows/common.js';
import type { FlowRecord, SentCode, UiNode } from '../../flows/model.js';
import type { FlowStep, LoginProof, LoginStrategy, NodeContext, SubmitContext } from '../../flows/strategy.js';
import { input, submitNode } from '../../flows/ui.js';
import { withAddressVerified } from '../../identity/addresses.js';
import { normalizeIdentifier } from '../../identity/identifier.js';
import { identifiersOf, type Identity } from '../../identity/model.js';
import { readPath } from '../../identity/schema.js';
import { identifierTooLong } from '../../identity/limits.js';
import { messages } from '../../text/messages.js';
import { currentTraceparent, withSpan } from '../../tracing/span.js';
import { codeHmac, matchingHmac, newCode } from './code.js';
import type { CodeStrategyDeps } from './deps.js';
import { sendLimits, sendRefused } from './limits.js';

const GROUP = 'code';

/**
 * The stored HMAC a submitted code matches (recovery's and verification's check), in a span of its own (`code.verify`:
 * the flow and whether it matched, never the code or the address); undefined once the code expired.
 */
export const verifiedCode = (flow: 'login' | 'registration', secrets: string[], flowId: string, code: string, sent: SentCode, now: Date) =>
  withSpan('code.verify', { 'code.flow': flow }, async (span) => {
    const hmac = sent.expiresAt.getTime() > now.getTime() ? matchingHmac(secrets, flowId, code.trim(), sent.hmac) : undefined;
    span.setAttributes({ 'code.valid': hmac !== undefined, 'code.expired': sent.expiresAt.getTime() <= now.getTime() });
    return hmac;
  });

/** The form once a code was sent (Kratos's populateEmailSentFlow): the address kept, the code, Continue, Resend. */
export function codeEntryNodes(label: ReturnType<typeof messages.labelLoginCode>, carried: UiNode[]): UiNode[] {
  return [
    ...carried,
    input(GROUP, { name: 'method', type: 'hidden', value: 'code' }),
    input(GROUP, { name: 'code', type: 'text', required: true, autocomplete: 'one-time-code' }, label),
    submitNode(GROUP, 'code', messages.labelContinue()),
    input(GROUP, { name: 'resend', type: 'submit', value: 'code' }, messages.labelResendCode()),
  ];
}

/** What a login for the second factor keeps of the code method: the identity's code addresses it may send to. */
interface Offered {
  addresses: string[];
}

/**
 * The code addresses a second-factor login offers: all of the identity's, or the one `via` names (Kratos's
 * FindCodeAddresses). Without code addresses and with the missing-credential fallback, its verifiable addresses
 * (Kratos's FindCodeAddressCandidates).
 */
function codeAddressesOf(identity: Identity, via: string | undefined, fallback: boolean): string[] {
  const own = identity.factors?.code?.identifiers ?? [];
  const addresses = [...(own.length === 0 && fallback ? fallbackAddressesOf(identity) : own)].sort();
  if (!via) return addresses;
  const value = readPath(identity.traits, via.split('.'));
  if (typeof value !== 'string' || value === '') throw new BadRequestError(`No value found for trait ${via} in the current identity.`);
  const address = normalizeIdentifier(value);
  if (!addresses.includes(address)) {
    throw new BadRequestError('You can only reference a trait that matches a verification email address in the via parameter, or a registered credential.');
  }
  return [address];
}

/** Where the missing-credential fallback sends codes: the identity's verifiable addresses (Kratos's FindAllIdentifiers). */
const fallbackAddressesOf = (identity: Identity): string[] => (identity.verifiableAddresses ?? []).filter((a) => a.via === 'email').map((a) => a.value);

export function codeLogin(deps: CodeStrategyDeps): LoginStrategy {
  const { config } = deps;
  const offeredOn = (flow: FlowRecord) => (flow.internal?.code as Offered | undefined)?.addresses ?? [];
  const stillReaches = (identity: Identity, address: string) =>
    (identity.factors?.code?.identifiers ?? []).includes(address) ||
    (config.missingCredentialFallbackEnabled && (identifiersOf(identity).includes(address) || fallbackAddressesOf(identity).includes(address)));

  function nodes({ flow, schema, values }: NodeContext): UiNode[] {
    if (flow.state === 'sent_email' && flow.active === GROUP) {
      return codeEntryNodes(messages.labelLoginCode(), [input('default', { name: 'identifier', type: 'hidden', value: flow.code?.address ?? '' })]);
    }
    // The second factor: a button per code address of the signed-in identity.
    if (flow.requestedAal === 'aal2') return offeredOn(flow).map((address) => input(GROUP, { name: 'address', type: 'submit', value: address }, messages.labelSendCodeTo('email', address)));
    // Identifier first: nothing while the identifier is asked for; then the button that sends a code to it.
    if (flow.screen === 'identify') return [];
    const send = submitNode(GROUP, 'code', messages.labelSendSignInCode());
    if (flow.screen === 'credentials') return [send];
    return [
      flow.refreshIdentifier
        ? input('default', { name: 'identifier', type: 'hidden', value: flow.refreshIdentifier, required: true })
        : input('default', { name: 'identifier', type: 'text', value: typeof values.identifier === 'string' ? values.identifier : '', required: true }, schema.identifierLabel()),
      send,
    ];
  }

  /**
   * A code to `address` of identity `identityId` (its HMAC on the flow, the mail queued, the send limits counted, in one
   * transaction): the flow as it then stands. The commit's own errors are thrown as they are.
   */
  async function sendTo(flow: FlowRecord, address: string, identityId: string, request: FlowRequest, now: Date): Promise<FlowRecord> {
    const code = newCode();
    const sent: SentCode = { hmac: codeHmac(config.codeSecrets[0], flow.id, code), expiresAt: new Date(now.getTime() + config.codeLifespanMs), address, identityId };
    const message = queuedMessage(
      randomUUID(),
      'login_code_valid',
      { to: address, login_code: code, expires_in_minutes: Math.round(config.codeLifespanMs / 60_000), identity_id: identityId, request_url: flow.requestUrl },
      now,
      currentTraceparent(),
    );
    // Kratos: on a refresh or a second factor the address is the signed-in identity's, not one typed (1010025).
    const sentMessage = flow.refresh || flow.requestedAal === 'aal2' ? messages.loginCodeSentForAuthenticatedUser() : messages.loginCodeSent();
    const ui = failedWith({ identifier: address }, [sentMessage]);
    await deps.commit(deps.codes.sendCode(flow.id, sent, ui, now, config.maxSendsPerFlow), deps.courier.queue(message), ...sendLimits(config, deps.throttle, address, request.ipAddress, now));
    return { ...flow, state: 'sent_email', active: GROUP, code: sent, submissions: flow.submissions ?? 0, sends: (flow.sends ?? 0) + 1, ui };
  }

  /** A code to the address `raw` names (a first submit, "Resend code", or a second factor's address button). */
  async function send(ctx: SubmitContext, raw: string, account: Identity | undefined): Promise<FlowStep> {
    const { flow, now, request } = ctx;
    const values = { identifier: raw };
    if (!raw.trim()) throw ctx.fail([], { identifier: [messages.required('identifier')] }, values);
    const tooLong = identifierTooLong(raw.trim());
    if (tooLong) throw ctx.fail([], { identifier: [tooLong] }, {});
    const address = normalizeIdentifier(raw);
    let identityId: string | undefined;
    if (account) {
      // A second factor goes only to an address the flow offered the signed-in identity.
      if (!offeredOn(flow).includes(address)) throw ctx.fail([messages.addressUnknown()], {}, values);
      identityId = account.id;
    } else {
      identityId = await deps.identities.findIdByCredential('code', address);
      // Kratos's migration path: an identity without this code address, found by its password identifier, gets the
      // code there (an e-mail address only: codes go by e-mail).
      if (!identityId && config.missingCredentialFallbackEnabled && address.includes('@')) identityId = await deps.identities.findIdByIdentifier(address);
      // Kratos answers an address without code login so (4000035), revealing it; see the README.
      if (!identityId) throw ctx.fail([messages.noCodeUser()], {}, values);
    }
    if ((flow.sends ?? 0) >= config.maxSendsPerFlow) throw ctx.fail([messages.tooManyCodesSent()], {}, values);
    try {
      return { step: await sendTo(flow, address, identityId, request, now) };
    } catch (error) {
      sendRefused(error, ctx, 'login', values);
    }
  }

  /** The code sent, checked: one submission more, one attempt more for the address and client, and then the proof. */
  async function check(ctx: SubmitContext, code: string, identifier: string | undefined, account: Identity | undefined): Promise<LoginProof> {
    const { flow, request, now } = ctx;
    const sent = flow.code;
    const values = { identifier: sent?.address ?? identifier ?? '' };
    if (!code.trim()) throw ctx.fail([], { code: [messages.required('code')] }, values);
    const wrong = () => ctx.fail([messages.loginCodeInvalid()], {}, values);
    if (!(await deps.codes.countSubmission(flow.id, config.maxSubmissions))) throw ctx.fail([messages.tooManySubmissions()], {}, values);
    // The address the code went to is what is guessed at: counted as a password guess at it would be.
    const address = sent?.address ?? normalizeIdentifier(identifier ?? '');
    await deps.loginThrottle?.checkClientNow(request, now);
    const trusted = sent?.identityId !== undefined && (request.browser.knownIdentities ?? []).includes(sent.identityId);
    const reserved = await deps.loginThrottle?.reserve(address, request, trusted, now);
    const failed = async () => {
      await deps.loginThrottle?.failed(request, now);
      return wrong();
    };

    // Kratos takes the identifier again with the code (older clients send it): another address's code is no code.
    const named = identifier?.trim() ? normalizeIdentifier(identifier) : undefined;
    const hmac = sent && (!named || named === sent.address) ? await verifiedCode('login', config.codeSecrets, flow.id, code, sent, now) : undefined;
    // A second factor's code is the signed-in identity's.
    if (!sent?.identityId || !hmac || (account && sent.identityId !== account.id)) throw await failed();
    const stored = account ?? (await deps.identities.getWithCredentials(sent.identityId));
    // The address must still be one of the identity's code addresses (a code dies with its address); with the
    // fallback, one of its password identifiers or verifiable addresses.
    if (!stored || !stillReaches(stored, sent.address)) throw await failed();
    const held = stored.verifiableAddresses?.find((a) => a.value === sent.address);
    const next = held && !held.verified ? withAddressVerified(stored, sent.address, now) : undefined;
    return {
      identity: stored,
      completes: deps.codes.passChallenge(flow.id, hmac, now),
      ...(next ? { update: next } : {}),
      writes: reserved ? [deps.loginThrottle!.succeeded(reserved, now)] : [],
    };
  }

  return {
    aal: config.mfaEnabled ? 'aal2' : 'aal1',
    nodes,
    ...(config.mfaEnabled
      ? {
          secondFactor: (identity: Identity, _now: Date, hints?: { via?: string }): Offered | undefined => {
            const addresses = codeAddressesOf(identity, hints?.via, config.missingCredentialFallbackEnabled);
            return addresses.length > 0 ? { addresses } : undefined;
          },
          // The identity's only second factor, with one address: the code goes at once.
          async beginSecondFactor({ flow, account, request, now }: { flow: FlowRecord; account: Identity; request: FlowRequest; now: Date }) {
            const [address, ...more] = offeredOn(flow);
            return address && more.length === 0 ? sendTo(flow, address, account.id, request, now) : undefined;
          },
        }
      : {}),
    async authenticate(ctx) {
      const { flow, body, account } = ctx;
      const identifier = stringField(body, 'identifier');
      const resend = stringField(body, 'resend')?.toLowerCase() === 'code';
      // Kratos: "Resend code" starts the flow's challenge again, for the address it carries.
      if (flow.state === 'sent_email' && !resend) return check(ctx, stringField(body, 'code') ?? '', identifier, account);
      const address = stringField(body, 'address') || identifier || (resend ? (flow.code?.address ?? '') : '');
      return send(ctx, address, account);
    },
  };
}
