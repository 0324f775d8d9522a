/**
 * Login by e-mailed code (Kratos's `selfservice/strategy/code/strategy_login.go`), passwordless (aal1): the identifier
 * is looked up among the code addresses (Kratos's `code` credential, derived from the identity schema's
 * `credentials.code` extension); an address nobody has is answered 4000035 (as Kratos answers: this step reveals
 * whether an account has code login, see README); a known one is sent a code (`sent_email`, the flow given over to
 * `code`). The code is a guess as a password is: counted against the flow's submissions and the login throttle's
 * limits for the address and the client. The right code spends itself with the flow's completion (one of two
 * submissions wins), marks the address verified, and the login signs in with `{method: "code", aal: "aal1"}`.
 */
import { randomUUID } from 'node:crypto';
import { queuedMessage } from '../../courier/model.js';
import { failedWith, stringField } from '../../flows/common.js';
import type { SentCode, UiNode } from '../../flows/model.js';
import type { FlowStep, LoginProof, LoginStrategy, NodeContext, SubmitContext } from '../../flows/strategy.js';
import { input, submitNode } from '../../flows/ui.js';
import { withAddressVerified } from '../../identity/addresses.js';
import { normalizeIdentifier } from '../../identity/identifier.js';
import { identifierTooLong } from '../../identity/limits.js';
import { messages } from '../../text/messages.js';
import { currentTraceparent } from '../../tracing/span.js';
import { codeHmac, matchingHmac, newCode } from './code.js';
import type { CodeStrategyDeps } from './deps.js';
import { sendLimits, sendRefused } from './limits.js';

const GROUP = 'code';

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

export function codeLogin(deps: CodeStrategyDeps): LoginStrategy {
  const { config } = deps;

  function nodes({ flow, schema, values }: NodeContext): UiNode[] {
    if (flow.state === 'sent_email' && flow.active === GROUP) {
      return codeEntryNodes(messages.labelLoginCode(), [input('default', { name: 'identifier', type: 'hidden', value: flow.code?.address ?? '' })]);
    }
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

  /** A code to the code address `raw` names (a first submit, or "Resend code"). */
  async function send(ctx: SubmitContext, raw: string): Promise<FlowStep> {
    const { flow, now, request } = ctx;
    const values = { identifier: raw };
    if (!raw.trim()) throw ctx.fail([], { identifier: [messages.required('identifier')] }, values);
    const tooLong = identifierTooLong(raw.trim());
    if (tooLong) throw ctx.fail([], { identifier: [tooLong] }, {});
    const address = normalizeIdentifier(raw);
    const identityId = await deps.identities.findIdByCredential('code', address);
    // Kratos answers an address without code login so (4000035), revealing it; see the README.
    if (!identityId) throw ctx.fail([messages.noCodeUser()], {}, values);
    if ((flow.sends ?? 0) >= config.maxSendsPerFlow) throw ctx.fail([messages.tooManyCodesSent()], {}, values);

    const code = newCode();
    const sent: SentCode = { hmac: codeHmac(config.codeSecrets[0], flow.id, code), expiresAt: new Date(now.getTime() + config.codeLifespanMs), address, identityId };
    const message = queuedMessage(
      randomUUID(),
      'login_code_valid',
      { to: address, login_code: code, expires_in_minutes: Math.round(config.codeLifespanMs / 60_000), identity_id: identityId, request_url: flow.requestUrl },
      now,
      currentTraceparent(),
    );
    const ui = failedWith({ identifier: address }, [messages.loginCodeSent()]);
    try {
      await deps.commit(deps.codes.sendCode(flow.id, sent, ui, now, config.maxSendsPerFlow), deps.courier.queue(message), ...sendLimits(config, deps.throttle, address, request.ipAddress, now));
    } catch (error) {
      sendRefused(error, ctx, 'login', values);
    }
    return { step: { ...flow, state: 'sent_email', active: GROUP, code: sent, submissions: flow.submissions ?? 0, sends: (flow.sends ?? 0) + 1, ui } };
  }

  /** The code sent, checked: one submission more, one attempt more for the address and client, and then the proof. */
  async function check(ctx: SubmitContext, code: string, identifier: string | undefined): Promise<LoginProof> {
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
    const hmac = sent && sent.expiresAt.getTime() > now.getTime() && (!named || named === sent.address) ? matchingHmac(config.codeSecrets, flow.id, code.trim(), sent.hmac) : undefined;
    if (!sent?.identityId || !hmac) throw await failed();
    const stored = await deps.identities.getWithCredentials(sent.identityId);
    // The address must still be one of the identity's code addresses (a code dies with its address).
    if (!stored || !stored.factors?.code?.identifiers.includes(sent.address)) throw await failed();
    const address_ = stored.verifiableAddresses?.find((a) => a.value === sent.address);
    const next = address_ && !address_.verified ? withAddressVerified(stored, sent.address, now) : undefined;
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
    async authenticate(ctx) {
      const { flow, body } = ctx;
      const identifier = stringField(body, 'identifier');
      const resend = stringField(body, 'resend')?.toLowerCase() === 'code';
      // Kratos: "Resend code" starts the flow's challenge again, for the address it carries.
      if (flow.state === 'sent_email' && !resend) return check(ctx, stringField(body, 'code') ?? '', identifier);
      return send(ctx, identifier || (resend ? (flow.code?.address ?? '') : ''));
    },
  };
}
