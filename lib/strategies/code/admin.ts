/**
 * `POST /admin/recovery/code` (Kratos's createRecoveryCodeForIdentity, in its code strategy): a recovery flow whose
 * code the admin hands over; nothing is mailed. The flow waits for the code as if it had been sent.
 */
import { randomUUID } from 'node:crypto';
import { parseDuration } from '../../config/env.js';
import type { RecoveryConfig } from '../../config/recovery.js';
import { BadRequestError, NotFoundError } from '../../errors/index.js';
import { withQuery } from '../../flows/answer.js';
import type { FlowRecord } from '../../flows/model.js';
import type { FlowRepository } from '../../flows/repository.js';
import type { IdentityRepository } from '../../identity/repository.js';
import { events } from '../../tracing/events.js';
import { canonicalUuid } from '../../util/ids.js';
import { codeHmac, newCode } from './code.js';

/** The longest an admin's recovery code may live: a year. */
const MAX_ADMIN_CODE_LIFESPAN_MS = 8760 * 3_600_000;

export interface RecoveryCodeAdminDeps {
  config: RecoveryConfig;
  publicBaseUrl: string;
  flows: Pick<FlowRepository, 'create'>;
  identities: Pick<IdentityRepository, 'get'>;
}

export function createRecoveryCodeAdmin(deps: RecoveryCodeAdminDeps) {
  const { config } = deps;
  return {
    async create(body: Record<string, unknown>, now: Date) {
      if (!config.recoveryEnabled) throw new BadRequestError('Recovery is not allowed because it was disabled.');
      const identityId = canonicalUuid(typeof body.identity_id === 'string' ? body.identity_id : undefined);
      if (!identityId) throw new BadRequestError('identity_id must be the UUID of an identity');
      const flowType = body.flow_type === undefined ? 'browser' : body.flow_type;
      if (flowType !== 'browser' && flowType !== 'api') throw new BadRequestError('flow_type must be "api" or "browser"');
      let expiresInMs = config.codeLifespanMs;
      if (body.expires_in !== undefined) {
        const parsed = typeof body.expires_in === 'string' ? parseDuration(body.expires_in) : undefined;
        if (!parsed || parsed <= 0 || parsed > MAX_ADMIN_CODE_LIFESPAN_MS) throw new BadRequestError('expires_in must be a duration such as "1h" or "15m", at most "8760h"');
        expiresInMs = parsed;
      }
      const identity = await deps.identities.get(identityId);
      if (!identity) throw new NotFoundError('The requested identity could not be found.');
      const id = randomUUID();
      const code = newCode();
      const expiresAt = new Date(now.getTime() + expiresInMs);
      const flow: FlowRecord = {
        id,
        type: 'recovery',
        mode: flowType,
        state: 'sent_email',
        requestUrl: `${deps.publicBaseUrl}/admin/recovery/code`,
        issuedAt: now,
        expiresAt,
        active: 'code',
        code: { hmac: codeHmac(config.codeSecrets[0], id, code), expiresAt, address: identity.recoveryAddresses?.[0]?.value ?? '', identityId },
        submissions: 0,
        madeByAdmin: true,
      };
      await deps.flows.create(flow);
      events.recoveryInitiatedByAdmin(id, flowType, identityId);
      return { recovery_link: withQuery(`${deps.publicBaseUrl}/self-service/recovery`, { flow: id }), recovery_code: code, expires_at: expiresAt.toISOString() };
    },
  };
}
export type RecoveryCodeAdmin = ReturnType<typeof createRecoveryCodeAdmin>;
