/**
 * Registration by e-mailed code (Kratos's `selfservice/strategy/code/strategy_registration.go`): valid traits with a
 * code address (the identity schema's `credentials.code` extension) are sent a code, whether or not someone has the
 * address (as Kratos: the same answer and the same work; a taken address fails only once its code is proven, as a
 * duplicate); the flow then shows the traits hidden and asks for the code. The same traits with the right code make
 * the identity, its address verified, the code spent with the flow's completion.
 */
import { randomUUID } from 'node:crypto';
import { queuedMessage } from '../../courier/model.js';
import { failedWith, stringField, traitMessages } from '../../flows/common.js';
import type { SentCode, UiNode } from '../../flows/model.js';
import type { FlowStep, NodeContext, RegistrationResult, RegistrationStrategy, SubmitContext } from '../../flows/strategy.js';
import { submitNode, traitNodes } from '../../flows/ui.js';
import { withAddressVerified } from '../../identity/addresses.js';
import { anyViolation, traitLimitViolations } from '../../identity/limits.js';
import { newIdentity } from '../../identity/new-identity.js';
import type { IdentitySchema } from '../../identity/schema.js';
import { messages } from '../../text/messages.js';
import { currentTraceparent } from '../../tracing/span.js';
import { codeHmac, newCode } from './code.js';
import type { CodeStrategyDeps } from './deps.js';
import { sendLimits, sendRefused } from './limits.js';
import { codeEntryNodes, verifiedCode } from './login.js';

const GROUP = 'code';

/** JSON with object keys sorted: two trait documents are the same traits when this is equal. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export function codeRegistration(deps: CodeStrategyDeps): RegistrationStrategy {
  const { config } = deps;

  function nodes({ flow, schema, values }: NodeContext): UiNode[] {
    if (flow.state === 'sent_email' && flow.active === GROUP) {
      // The traits the code was sent for, kept as they are (hidden), then the code.
      const hidden = traitNodes(schema, flow.code?.traits ?? {}, 'default').map((node) => ({ ...node, attributes: { ...node.attributes, type: 'hidden' } }));
      return codeEntryNodes(messages.labelRegistrationCode(), hidden);
    }
    // Profile first: nothing while the traits are asked for; then the button that sends a code for them.
    if (flow.screen === 'profile') return [];
    const send = submitNode(GROUP, 'code', messages.labelSendSignUpCode());
    if (flow.screen === 'credentials') return [send];
    return [...traitNodes(schema, values.traits, 'default'), send];
  }

  /** The traits valid, or the flow failed with what is wrong with them. */
  async function validTraits(ctx: SubmitContext, schema: IdentitySchema, traits: unknown): Promise<Record<string, unknown>> {
    const bounds = traitLimitViolations(schema, traits);
    const { flowMessages, nodeMessages } = anyViolation(bounds) ? bounds : await traitMessages(schema, traits);
    if (flowMessages.length > 0 || Object.keys(nodeMessages).length > 0) throw ctx.fail(flowMessages, nodeMessages);
    return traits as Record<string, unknown>;
  }

  async function send(ctx: SubmitContext, schema: IdentitySchema, sentTraits: unknown): Promise<FlowStep> {
    const { flow, now, request } = ctx;
    const traits = await validTraits(ctx, schema, sentTraits);
    const values = { traits };
    // Kratos sends one code per address; this build sends one, to the first code address (see README).
    const address = schema.codeAddresses(traits)[0];
    if (!address) throw ctx.fail([messages.identifierMissing()], {}, values);
    if ((flow.sends ?? 0) >= config.maxSendsPerFlow) throw ctx.fail([messages.tooManyCodesSent()], {}, values);
    const code = newCode();
    const sent: SentCode = { hmac: codeHmac(config.codeSecrets[0], flow.id, code), expiresAt: new Date(now.getTime() + config.codeLifespanMs), address, traits };
    const message = queuedMessage(
      randomUUID(),
      'registration_code_valid',
      { to: address, registration_code: code, expires_in_minutes: Math.round(config.codeLifespanMs / 60_000), request_url: flow.requestUrl },
      now,
      currentTraceparent(),
    );
    const ui = failedWith(values, [messages.registrationCodeSent()]);
    try {
      await deps.commit(deps.codes.sendCode(flow.id, sent, ui, now, config.maxSendsPerFlow), deps.courier.queue(message), ...sendLimits(config, deps.throttle, address, request.ipAddress, now));
    } catch (error) {
      sendRefused(error, ctx, 'registration', values);
    }
    return { step: { ...flow, state: 'sent_email', active: GROUP, code: sent, submissions: flow.submissions ?? 0, sends: (flow.sends ?? 0) + 1, ui } };
  }

  async function check(ctx: SubmitContext, schema: IdentitySchema, sentTraits: unknown, code: string): Promise<RegistrationResult> {
    const { flow, now } = ctx;
    const sent = flow.code;
    if (!code.trim()) throw ctx.fail([], { code: [messages.required('code')] });
    if (sentTraits === undefined) throw ctx.fail([], { traits: [messages.required('traits')] });
    const traits = await validTraits(ctx, schema, sentTraits);
    // The traits the code was sent for, and no others (Kratos compares them with the form's).
    if (!sent?.traits || canonical(sent.traits) !== canonical(traits)) throw ctx.fail([messages.traitsMismatch()]);
    if (!(await deps.codes.countSubmission(flow.id, config.maxSubmissions))) throw ctx.fail([messages.tooManySubmissions()]);
    const hmac = await verifiedCode('registration', config.codeSecrets, flow.id, code, sent, now);
    if (!hmac) throw ctx.fail([messages.registrationCodeInvalid()]);
    // The code proved the address: it starts verified (so the verifier hook does not mail it again).
    return { identity: withAddressVerified(newIdentity(schema, traits, now), sent.address, now), completes: deps.codes.passChallenge(flow.id, hmac, now) };
  }

  return {
    nodes,
    async register(ctx) {
      const { flow, body, schema } = ctx;
      const traits = body.traits === undefined || body.traits === null ? undefined : body.traits;
      const resend = stringField(body, 'resend')?.toLowerCase() === 'code';
      if (flow.state === 'sent_email' && !resend) return check(ctx, schema, traits, stringField(body, 'code') ?? '');
      // "Resend code" sends a new code for the traits the flow holds, unless the submit carries them.
      return send(ctx, schema, traits ?? (resend ? flow.code?.traits : undefined) ?? {});
    },
  };
}
