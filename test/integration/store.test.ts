/**
 * The storage contract, against a real DynamoDB Local: what the services rely on the repositories for.
 */
import { randomUUID } from 'node:crypto';
import { DuplicateIdentifierError, FlowAlreadyUsedError } from '../../lib/errors/index.js';
import type { FlowRecord } from '../../lib/flows/model.js';
import type { Identity } from '../../lib/identity/model.js';
import { hashSessionToken } from '../../lib/session/service.js';
import { scanAll, testStore } from '../support/store.js';

const { client, store, app } = testStore();
afterAll(() => client.destroy());

const now = () => new Date();
/** A native app's request: no cookie, JSON. */
const API_CALLER = { requestUrl: 'http://x/', hasCookie: false, browser: { anyCookie: false, ajax: false, json: true } };

function flow(over: Partial<FlowRecord> = {}): FlowRecord {
  const issuedAt = now();
  return {
    id: randomUUID(),
    type: 'registration',
    mode: 'api',
    state: 'choose_method',
    requestUrl: 'http://127.0.0.1/self-service/registration/api',
    issuedAt,
    expiresAt: new Date(issuedAt.getTime() + 3600_000),
    ...over,
  };
}

function identity(email: string): Identity {
  const at = now();
  return {
    id: randomUUID(),
    schemaId: 'default',
    state: 'active',
    traits: { email },
    metadataPublic: null,
    metadataAdmin: null,
    createdAt: at,
    updatedAt: at,
    password: { identifiers: [email.toLowerCase()], hashedPassword: '$2a$04$abcdefghijklmnopqrstuu5Y0I1KJHHBnlzZ8JZ8I6.ZNlW0f.f2', createdAt: at, updatedAt: at },
  };
}

async function register(email: string, flowRecord = flow()) {
  const created = identity(email);
  await store.flows.create(flowRecord);
  const issued = app.sessionService.issue(created, {}, now());
  await store.flows.completeRegistration(created, issued, { flowId: flowRecord.id, now: now() });
  return { created, issued, flowRecord };
}

describe('flows', () => {
  it('stores and reads a flow, and says when there is none', async () => {
    const record = flow({ messages: [{ id: 4040001, text: 'expired', type: 'error' }] });
    await store.flows.create(record);
    await expect(store.flows.get(record.id)).resolves.toEqual(record);
    await expect(store.flows.get(randomUUID())).resolves.toBeUndefined();
  });

  it('reads a flow and what a login needs of an identifier in one call: the identity as its session carries it, its hash', async () => {
    const email = `owner-${randomUUID()}@example.com`;
    const { created } = await register(email);
    const loginFlow = flow({ type: 'login', refresh: false });
    await store.flows.create(loginFlow);
    const found = await store.flows.getForPasswordLogin(loginFlow.id, email);
    expect(found.flow).toEqual(loginFlow);
    expect(found.credential).toEqual({
      hashedPassword: created.password!.hashedPassword,
      identity: { ...created, identifiers: [email], password: undefined, revision: 1, stateChangedAt: created.createdAt },
    });
    await expect(store.flows.getForPasswordLogin(loginFlow.id, 'nobody@example.com')).resolves.toEqual({ flow: loginFlow, credential: undefined });
  });

  it('keeps the login copy of every claim in step with the identity: password change, identifier change, state, delete', async () => {
    const email = `copy-${randomUUID()}@example.com`;
    const { created } = await register(email);
    const current = (await store.identities.getWithCredentials(created.id))!;
    const renamed = `renamed-${randomUUID()}@example.com`;
    const newHash = '$2a$04$zyxwvutsrqponmlkjihgfeXcfX0O7Yh1JbH0p9Q1c1Y7vR6dB3nJe';
    const updated = await store.identities.update(
      {
        ...current,
        state: 'inactive',
        traits: { email: renamed },
        identifiers: [renamed],
        password: { ...current.password!, identifiers: [renamed], hashedPassword: newHash },
      },
      current,
    );
    const loginFlow = flow({ type: 'login' });
    await store.flows.create(loginFlow);
    await expect(store.flows.getForPasswordLogin(loginFlow.id, email)).resolves.toMatchObject({ credential: undefined });
    const found = await store.flows.getForPasswordLogin(loginFlow.id, renamed);
    expect(found.credential).toMatchObject({ hashedPassword: newHash, identity: { id: created.id, state: 'inactive', traits: { email: renamed }, revision: updated.revision } });

    await store.identities.delete(created.id);
    await expect(store.flows.getForPasswordLogin(loginFlow.id, renamed)).resolves.toMatchObject({ credential: undefined });
  });
});

describe('identities', () => {
  it('keeps the password hash out of ordinary reads', async () => {
    const { created } = await register(`hash-${randomUUID()}@example.com`);
    const ordinary = await store.identities.get(created.id);
    expect(ordinary?.password?.hashedPassword).toBeUndefined();
    expect(ordinary?.traits).toEqual(created.traits);
    const privileged = await store.identities.getWithCredentials(created.id);
    expect(privileged?.password?.hashedPassword).toBe(created.password!.hashedPassword);
  });

  it('refuses a taken identifier and writes nothing of the refused registration', async () => {
    const email = `taken-${randomUUID()}@example.com`;
    await register(email);
    const second = identity(email.toUpperCase());
    const secondFlow = flow();
    await store.flows.create(secondFlow);
    const issued = app.sessionService.issue(second, {}, now());
    await expect(store.flows.completeRegistration(second, issued, { flowId: secondFlow.id, now: now() })).rejects.toThrow(
      DuplicateIdentifierError,
    );
    await expect(store.identities.get(second.id)).resolves.toBeUndefined();
    await expect(store.sessions.getByTokenHash(issued.tokenHash)).resolves.toBeUndefined();
    await expect(store.flows.get(secondFlow.id)).resolves.toMatchObject({ state: 'choose_method' });
  });

  it('completes a flow once: a second use or an expired flow is refused', async () => {
    const { flowRecord } = await register(`once-${randomUUID()}@example.com`);
    await expect(store.flows.get(flowRecord.id)).resolves.toMatchObject({ state: 'passed_challenge' });
    const again = identity(`again-${randomUUID()}@example.com`);
    await expect(
      store.flows.completeRegistration(again, app.sessionService.issue(again, {}, now()), { flowId: flowRecord.id, now: now() }),
    ).rejects.toThrow(FlowAlreadyUsedError);

    const expired = flow({ issuedAt: new Date(Date.now() - 7200_000), expiresAt: new Date(Date.now() - 1000) });
    await store.flows.create(expired);
    const late = identity(`late-${randomUUID()}@example.com`);
    await expect(
      store.flows.completeRegistration(late, app.sessionService.issue(late, {}, now()), { flowId: expired.id, now: now() }),
    ).rejects.toThrow(FlowAlreadyUsedError);
  });
});

describe('sessions', () => {
  it('finds a session by the hash of its token only, and revokes it', async () => {
    const { issued } = await register(`session-${randomUUID()}@example.com`);
    const stored = await store.sessions.getByTokenHash(hashSessionToken(issued.token));
    expect(stored).toMatchObject({ id: issued.session.id, active: true, identityId: issued.session.identityId });
    expect(stored?.identity.password).toBeUndefined();
    await expect(store.sessions.getByTokenHash(issued.token)).resolves.toBeUndefined();
    await expect(store.sessions.revokeByTokenHash(issued.tokenHash)).resolves.toEqual({ sessionId: issued.session.id, identityId: issued.session.identityId });
    await expect(store.sessions.getByTokenHash(issued.tokenHash)).resolves.toMatchObject({ active: false });
    await expect(store.sessions.revokeByTokenHash(hashSessionToken('ory_st_nope'))).resolves.toBeUndefined();
  });

  it('never stores the token itself', async () => {
    const { issued } = await register(`notoken-${randomUUID()}@example.com`);
    const items = await scanAll();
    expect(JSON.stringify(items)).not.toContain(issued.token);
  });
});

describe('concurrent registrations of one identifier', () => {
  it('yield exactly one identity, one claim, one session and no orphans (100 at once, mixed case)', async () => {
    const email = `race-${randomUUID().slice(0, 8)}@example.com`;
    const variants = Array.from({ length: 100 }, (_, i) =>
      [...email].map((c, j) => ((i >> j % 6) & 1 ? c.toUpperCase() : c)).join(''),
    );
    const flows = await Promise.all(variants.map(() => app.registration.init(API_CALLER, now())));
    const results = await Promise.allSettled(
      variants.map((variant, i) =>
        app.registration.submit(
          flows[i].id,
          { method: 'password', password: 'correct horse battery staple', traits: { email: variant } },
          API_CALLER,
          now(),
        ),
      ),
    );
    const successes = results.filter((r) => r.status === 'fulfilled');
    const failures = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(successes).toHaveLength(1);
    // Every loser is told the identifier exists (4000007), not a server error.
    for (const failure of failures) {
      expect(failure.reason.name).toBe('FlowValidationError');
      expect(failure.reason.flow.ui.messages.map((m: { id: number }) => m.id)).toEqual([4000007]);
    }

    const items = await scanAll();
    const identities = items.filter((i) => i.kind?.S === 'identity' && JSON.parse(i.traits.S!).email.toLowerCase() === email);
    const claims = items.filter((i) => i.pk.S === `IDENTIFIER#password#${email}`);
    const identityIds = new Set(identities.map((i) => i.id.S));
    const sessions = items.filter((i) => i.kind?.S === 'session' && identityIds.has(i.identity_id.S));
    expect(identities).toHaveLength(1);
    expect(claims).toHaveLength(1);
    expect(claims[0].identity_id.S).toBe(identities[0].id.S);
    expect(sessions).toHaveLength(1);
    // No identity anywhere in the table lacks its identifier claim, and no claim points nowhere.
    const allIdentityIds = new Set(items.filter((i) => i.kind?.S === 'identity').map((i) => i.id.S));
    const claimed = new Set(items.filter((i) => i.kind?.S === 'identifier').map((i) => i.identity_id.S));
    expect([...allIdentityIds].filter((id) => !claimed.has(id))).toEqual([]);
    expect([...claimed].filter((id) => !allIdentityIds.has(id))).toEqual([]);
  });
});
