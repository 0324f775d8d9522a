/**
 * Sending a verification code for an address without anyone asking (Kratos's verifier hook, after registration and a
 * profile change, calls its verification strategy's SendVerificationCode): a verification flow already in `sent_email`
 * with the code's HMAC, and the message; the caller writes both in its own transaction.
 */
import { randomUUID } from 'node:crypto';
import type { CourierRepository } from '../../courier/repository.js';
import { failedWith, type FlowRequest } from '../../flows/common.js';
import { maskCsrfToken } from '../../flows/csrf.js';
import type { FlowMode, FlowRecord } from '../../flows/model.js';
import type { FlowRepository } from '../../flows/repository.js';
import type { Identity } from '../../identity/model.js';
import type { Writes } from '../../util/writes.js';
import { codeFor, type CodeStrategyDeps } from './index.js';
import { codeKinds } from './kinds.js';

export interface VerificationCodeSent {
  flow: FlowRecord;
  /** The flow and the message, for the caller's transaction. */
  writes: Writes[];
}

export function createVerificationSender(deps: Pick<CodeStrategyDeps, 'config' | 'publicBaseUrl'> & { flows: Pick<FlowRepository, 'add'>; courier: Pick<CourierRepository, 'queue'> }) {
  const kind = codeKinds(deps.config).verification;
  return {
    /** A verification flow of `mode` for `identity`'s `address`, its code on the way. */
    send(identity: Identity, address: string, mode: FlowMode, request: FlowRequest, returnTo: string | undefined, now: Date): VerificationCodeSent {
      const id = randomUUID();
      const { sent, message } = codeFor(deps, kind, id, address, identity.id, now, request.requestUrl);
      const flow: FlowRecord = {
        id,
        type: 'verification',
        mode,
        state: 'sent_email',
        requestUrl: request.requestUrl,
        issuedAt: now,
        expiresAt: new Date(now.getTime() + deps.config.verificationLifespanMs),
        active: 'code',
        code: sent,
        submissions: 0,
        sends: 1,
        ui: failedWith({}, [kind.sent()]),
        ...(returnTo ? { returnTo } : {}),
        ...(mode === 'browser' && request.browser.csrfCookie ? { csrfToken: maskCsrfToken(request.browser.csrfCookie) } : {}),
      };
      return { flow, writes: [deps.flows.add(flow), deps.courier.queue(message!)] };
    },
  };
}
export type VerificationSender = ReturnType<typeof createVerificationSender>;
