/**
 * The code method (Kratos's `selfservice/strategy/code`, v1 states `choose_method` -> `sent_email` ->
 * `passed_challenge`): recovery and verification here; passwordless login and registration, and the second factor,
 * in login.ts and registration.ts. For recovery and verification: Submitting an e-mail sends a code, whether or not the address belongs to anyone
 * (same answer, same work: a code is made and its HMAC stored either way; only a known address, or an unknown one
 * with `notify_unknown_recipients`, gets a message, queued in the same transaction). Submitting the code: wrong ->
 * 4060006 / 4070006 on the flow; too many submissions -> a new flow; right -> the flow's challenge is passed, and the
 * flow (recovery.ts, verification.ts) does what follows.
 */
import { randomUUID } from 'node:crypto';
import { queuedMessage, type CourierMessage } from '../../courier/model.js';
import { BadRequestError } from '../../errors/index.js';
import { failedWith, stringField } from '../../flows/common.js';
import type { FlowAnswer } from '../../flows/answer.js';
import type { SentCode, UiNode } from '../../flows/model.js';
import type { AddressContext, AddressStep, AddressStrategy, NodeContext, Strategy } from '../../flows/strategy.js';
import { anchor, input, submitNode } from '../../flows/ui.js';
import { normalizeIdentifier } from '../../identity/identifier.js';
import { identifierTooLong } from '../../identity/limits.js';
import { messages } from '../../text/messages.js';
import { events } from '../../tracing/events.js';
import { currentTraceparent } from '../../tracing/span.js';
import { codeHmac, matchingHmac, newCode } from './code.js';
import type { CodeStrategyDeps } from './deps.js';
import { codeKinds, type CodeKind } from './kinds.js';
import { sendLimits, sendRefused } from './limits.js';
import { codeLogin } from './login.js';
import { codeRegistration } from './registration.js';

export type { CodeStrategyDeps } from './deps.js';

const GROUP = 'code';

/**
 * An e-mail address as far as sending a code needs: one `@`, no space, a dot inside the domain (its length is bounded
 * before). Checked without a backtracking pattern: the input is the caller's, of any length.
 */
function looksLikeEmail(value: string): boolean {
  if (/\s/.test(value)) return false;
  const at = value.indexOf('@');
  if (at <= 0 || at !== value.lastIndexOf('@')) return false;
  const domain = value.slice(at + 1);
  const dot = domain.lastIndexOf('.');
  return dot > 0 && dot < domain.length - 1;
}

/** A code for `address` on flow `flowId`, as stored (its HMAC only), and the message that carries it. */
export function codeFor(deps: Pick<CodeStrategyDeps, 'config' | 'publicBaseUrl'>, kind: CodeKind, flowId: string, address: string, identityId: string | undefined, now: Date, requestUrl: string) {
  const code = newCode();
  const sent: SentCode = {
    hmac: codeHmac(deps.config.codeSecrets[0], flowId, code),
    expiresAt: new Date(now.getTime() + deps.config.codeLifespanMs),
    address,
    ...(identityId ? { identityId } : {}),
  };
  let message: CourierMessage | undefined;
  if (identityId) {
    const data = {
      to: address,
      ...kind.templateData(code, flowId, deps.publicBaseUrl),
      expires_in_minutes: Math.round(deps.config.codeLifespanMs / 60_000),
      identity_id: identityId,
      request_url: requestUrl,
    };
    message = queuedMessage(randomUUID(), kind.templates.valid, data, now, currentTraceparent());
  } else if (kind.notifyUnknown) {
    message = queuedMessage(randomUUID(), kind.templates.unknown, { to: address, request_url: requestUrl }, now, currentTraceparent());
  }
  return { code, sent, message };
}

/** The nodes of a code flow: the e-mail and Continue; once sent, the code, Continue and "Resend code"; once verified, an anchor on. */
function codeNodes(kind: CodeKind, { flow, values, continueUrl }: NodeContext): UiNode[] {
  if (flow.type === 'verification' && flow.state === 'passed_challenge') return [anchor(GROUP, 'continue', continueUrl ?? '', messages.labelContinue())];
  const email = typeof values.email === 'string' ? values.email : undefined;
  if (flow.state === 'choose_method') {
    return [
      input(GROUP, { name: 'email', type: 'email', value: email, required: true, autocomplete: 'email' }, messages.labelEmail()),
      submitNode(GROUP, 'code', messages.labelContinue()),
    ];
  }
  const code = typeof values.code === 'string' ? values.code : undefined;
  return [
    input(GROUP, { name: 'code', type: 'text', value: code, required: true, pattern: '[0-9]+', maxlength: 6, autocomplete: 'one-time-code' }, kind.codeLabel()),
    input(GROUP, { name: 'method', type: 'hidden', value: 'code' }),
    submitNode(GROUP, 'code', messages.labelContinue()),
    input(GROUP, { name: 'email', type: 'submit', value: flow.code?.address ?? email ?? '' }, messages.labelResendCode()),
  ];
}

function addressStrategy(deps: CodeStrategyDeps, kind: CodeKind): AddressStrategy {
  const { config } = deps;


  /** A code the flow does not take: said on the flow (and saved for a browser's UI), and (`failed`) an event saying so. */
  async function refused(ctx: AddressContext, failed = true): Promise<FlowAnswer> {
    const saved = failedWith({}, [kind.invalid()]);
    if (ctx.flow.mode === 'browser') await ctx.saveUi(saved);
    if (failed) events.codeFlowFailed(kind.type, { flowId: ctx.flow.id, flowType: ctx.flow.mode, reason: `${saved.messages[0].id}: ${saved.messages[0].text}` });
    return ctx.show(ctx.flow, saved);
  }
  const wrong = async (ctx: AddressContext): Promise<AddressStep> => ({ answer: await refused(ctx) });

  async function send(ctx: AddressContext, rawEmail: string): Promise<AddressStep> {
    const { flow, now } = ctx;
    const values = { email: rawEmail };
    if (!rawEmail.trim()) throw ctx.fail([], { email: [messages.required('email')] }, values);
    const tooLong = identifierTooLong(rawEmail.trim());
    if (tooLong) throw ctx.fail([], { email: [tooLong] }, {});
    if (!looksLikeEmail(rawEmail.trim())) throw ctx.fail([], { email: [messages.invalidEmail(rawEmail)] }, values);
    if ((flow.sends ?? 0) >= config.maxSendsPerFlow) throw ctx.fail([messages.tooManyCodesSent()], {}, values);
    const address = normalizeIdentifier(rawEmail);
    const identityId = await deps.identities.findIdByAddress(kind.type, address);
    const { sent, message } = codeFor(deps, kind, flow.id, address, identityId, now, flow.requestUrl);
    const saved = failedWith({}, [kind.sent()]);
    try {
      // An address nobody has gets no message, but the same work: the placeholder stands in for the queueing, and
      // the address is counted all the same.
      await deps.commit(
        deps.codes.sendCode(flow.id, sent, saved, now, config.maxSendsPerFlow),
        message ? deps.courier.queue(message) : deps.courier.placeholder(),
        ...sendLimits(config, deps.throttle, address, ctx.request.ipAddress, now),
      );
    } catch (error) {
      sendRefused(error, ctx, kind.type, values);
    }
    return { answer: ctx.show({ ...flow, state: 'sent_email', active: 'code', code: sent, submissions: flow.submissions ?? 0 }, saved) };
  }

  async function check(ctx: AddressContext, code: string): Promise<AddressStep> {
    const { flow, request, now } = ctx;
    // Kratos: verification without a code nor an address asks for the address; recovery takes an empty code as a
    // wrong one (it counts as a submission).
    if (!code.trim() && kind.emptyCodeAsksForAddress) throw ctx.fail([], { email: [messages.required('email')] }, {});
    if (!(await deps.codes.countSubmission(flow.id, config.maxSubmissions))) {
      // Kratos replaces a flow submitted too often: the new one says why and takes a new address.
      const replacement = await ctx.replace(messages.tooManySubmissions());
      if (flow.mode === 'browser' && !request.browser.json) return { answer: ctx.show(replacement, {}) };
      // Kratos: 400 with the reason, and where to go on (`show_<type>_ui` with the new flow) in the error's details.
      throw new BadRequestError(messages.tooManySubmissions().text, {
        details: { continue_with: [{ action: `show_${kind.type}_ui`, flow: { id: replacement.id, url: ctx.uiUrlOf(replacement.id) } }] },
      });
    }
    const sent = flow.code;
    const hmac = sent && sent.expiresAt.getTime() > now.getTime() ? matchingHmac(config.codeSecrets, flow.id, code.trim(), sent.hmac) : undefined;
    if (!sent?.identityId || !hmac) return wrong(ctx);
    const identity = await deps.identities.getWithCredentials(sent.identityId);
    if (!identity || identity.state !== 'active') return wrong(ctx);
    // The code went to an address; once the identity no longer has it, the code is worth nothing (Kratos deletes a
    // code with its address). The admin's codes name the identity only.
    const held = (kind.type === 'recovery' ? identity.recoveryAddresses : identity.verifiableAddresses) ?? [];
    if (sent.address && !held.some((a) => a.value === sent.address)) return wrong(ctx);
    return { passed: { identity, address: sent.address, writes: [deps.codes.passChallenge(flow.id, hmac, now)], spent: () => refused(ctx) } };
  }

  return {
    nodes: (ctx) => codeNodes(kind, ctx),

    async submit(ctx) {
      const { flow, body } = ctx;
      // An empty e-mail is no e-mail (Kratos tests its length): Ory Elements sends `email: ""` with every code.
      const email = stringField(body, 'email') || undefined;
      const code = stringField(body, 'code');
      if (flow.state === 'passed_challenge') {
        // A recovery flow done already takes a code as one that no longer works (4060006), an address not at all.
        if (email !== undefined) throw ctx.fail([messages.flowAlreadyCompleted(kind.type)], {}, { email });
        return { answer: await refused(ctx, false) };
      }
      const hasCode = code !== undefined && code.trim() !== '';
      // Verification checks a code before anything else, in any state (one never sent is a wrong one).
      if (kind.codeFirst && hasCode) return check(ctx, code);
      if (email !== undefined || flow.state === 'choose_method') return send(ctx, email ?? '');
      return check(ctx, code ?? '');
    },
  };
}

export function codeStrategy(deps: CodeStrategyDeps): Strategy {
  const kinds = codeKinds(deps.config);
  // Login and registration by code only when configured (Kratos: passwordless, or login as a second factor).
  const { passwordlessEnabled, mfaEnabled } = deps.config;
  return {
    id: 'code',
    group: GROUP,
    recovery: addressStrategy(deps, kinds.recovery),
    verification: addressStrategy(deps, kinds.verification),
    ...(passwordlessEnabled || mfaEnabled ? { login: codeLogin(deps) } : {}),
    ...(passwordlessEnabled ? { registration: codeRegistration(deps) } : {}),
    // A second factor's address buttons post `address` without a method (Kratos's code strategy takes them).
    ...(mfaEnabled ? { takesUnnamedSubmit: (body: Record<string, unknown>) => typeof body.address === 'string' && body.address !== '' } : {}),
  };
}
