/**
 * Flows in memory, and what methods keep on them (the code strategy's code and count, the password strategy's read),
 * and the self-service errors, with the DynamoDB store's conditions.
 */
import { CodesPerFlowExhaustedError, FlowAlreadyUsedError } from '../../errors/index.js';
import type { SelfServiceErrorRepository } from '../../flows/errors.js';
import type { FlowRecord } from '../../flows/model.js';
import type { FlowRepository } from '../../flows/repository.js';
import type { CodeRepository } from '../../strategies/code/repository.js';
import type { PasswordCredentials } from '../../strategies/password/repository.js';
import { conditionFailed, copy, type memoryTransactions, type Op } from './core.js';
import type { MemoryTables } from './tables.js';

type Tx = ReturnType<typeof memoryTransactions>;

/** A change of an existing flow, refused (`error`) unless `holds` says the flow is as the change needs it. */
function flowOp(t: MemoryTables, id: string, holds: (flow: FlowRecord) => boolean, change: (flow: FlowRecord) => void, error: () => Error): Op {
  return {
    key: `flow#${id}`,
    check: () => {
      const flow = t.flows.get(id);
      return flow && holds(flow) ? undefined : error();
    },
    apply: () => change(t.flows.get(id)!),
  };
}

export function memoryFlows(t: MemoryTables, tx: Tx): FlowRepository {
  const put = (flow: FlowRecord): Op => ({
    key: `flow#${flow.id}`,
    check: () => (t.flows.has(flow.id) ? new Error('flow id collision') : undefined),
    apply: () => t.flows.set(flow.id, copy(flow)),
  });
  const set = async (id: string, change: (flow: FlowRecord) => void) => {
    if (!(await tx.single(flowOp(t, id, () => true, change, conditionFailed)))) throw conditionFailed();
  };
  return {
    create: async (flow) => {
      if (!(await tx.single(put(flow)))) throw conditionFailed();
    },
    get: async (id) => {
      const flow = t.flows.get(id);
      return flow ? copy(flow) : undefined;
    },
    add: (flow) => tx.batch(put(flow)),
    complete: (flowId, now) =>
      tx.batch(
        flowOp(
          t,
          flowId,
          (f) => (f.state === 'choose_method' || f.state === 'sent_email') && f.expiresAt.getTime() > now.getTime(),
          (f) => void (f.state = 'passed_challenge'),
          () => new FlowAlreadyUsedError(),
        ),
      ),
    showScreen: async (id, screen, firstScreen, ui) => {
      const moved = await tx.single(
        flowOp(
          t,
          id,
          (f) => f.state === 'choose_method',
          (f) => {
            f.screen = screen;
            if (firstScreen) f.firstScreen = copy(firstScreen);
            else delete f.firstScreen;
            delete f.messages;
            f.ui = copy(ui);
          },
          () => new FlowAlreadyUsedError(),
        ),
      );
      if (!moved) throw new FlowAlreadyUsedError();
    },
    saveUi: (id, ui) => set(id, (f) => void (f.ui = copy(ui))),
    markSucceeded: (id, ui) =>
      set(id, (f) => {
        f.state = 'success';
        f.ui = copy(ui);
      }),
    setCsrfToken: (id, maskedToken) => set(id, (f) => void (f.csrfToken = maskedToken)),
    setInternal: (id, method, value) =>
      set(id, (f) => {
        const internal = { ...f.internal };
        if (value === undefined) delete internal[method];
        else internal[method] = copy(value);
        f.internal = internal;
      }),
    setOidcState: (id, state, active) =>
      set(id, (f) => {
        f.oidc = copy(state);
        if (active) f.active = active;
      }),
  };
}

export function memoryCodes(t: MemoryTables, tx: Tx): CodeRepository {
  return {
    sendCode: (flowId, code, ui, now, maxSends) =>
      tx.batch(
        flowOp(
          t,
          flowId,
          (f) => (f.state === 'choose_method' || f.state === 'sent_email') && f.expiresAt.getTime() > now.getTime() && (f.sends ?? 0) < maxSends,
          (f) => {
            f.state = 'sent_email';
            f.active = 'code';
            f.code = copy(code);
            f.submissions ??= 0;
            f.sends = (f.sends ?? 0) + 1;
            f.ui = copy(ui);
          },
          () => ((t.flows.get(flowId)?.sends ?? 0) >= maxSends && t.flows.get(flowId)?.state !== 'passed_challenge' ? new CodesPerFlowExhaustedError() : new FlowAlreadyUsedError()),
        ),
      ),
    countSubmission: (flowId, max) =>
      tx.single(flowOp(t, flowId, (f) => (f.submissions ?? 0) < max, (f) => void (f.submissions = (f.submissions ?? 0) + 1), conditionFailed)),
    passChallenge: (flowId, codeHmac, now) =>
      tx.batch(
        flowOp(
          t,
          flowId,
          (f) => f.state === 'sent_email' && f.code?.hmac === codeHmac && f.expiresAt.getTime() > now.getTime(),
          (f) => {
            f.state = 'passed_challenge';
            delete f.code;
            delete f.ui;
          },
          () => new FlowAlreadyUsedError(),
        ),
      ),
  };
}

export function memoryPasswords(t: MemoryTables): PasswordCredentials {
  return {
    flowWithCredential: async (flowId, identifier, failuresKey) => {
      await Promise.resolve();
      const flow = t.flows.get(flowId);
      const claim = t.identifiers.get(identifier);
      const failures = failuresKey ? t.failures.get(failuresKey) : undefined;
      return {
        flow: flow ? copy(flow) : undefined,
        credential: claim ? { identity: { ...copy(claim.copy), revision: claim.revision }, hashedPassword: claim.hashedPassword } : undefined,
        failures: failures ? { count: failures.count, windowEndsAt: new Date(failures.windowEndsAt) } : undefined,
      };
    },
  };
}

export function memoryErrors(t: MemoryTables): SelfServiceErrorRepository {
  return {
    create: async (error) => {
      await Promise.resolve();
      if (t.errors.has(error.id)) throw conditionFailed();
      t.errors.set(error.id, copy(error));
    },
    get: async (id) => {
      const found = t.errors.get(id);
      return found ? copy(found) : undefined;
    },
  };
}
