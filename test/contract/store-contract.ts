/**
 * The storage contract: what the services rely on every store for, run against each implementation (DynamoDB Local in
 * test/integration/dynamodb-store.test.ts, memory in test/unit/memory-store.test.ts). Conditions (an identifier
 * claimed once, a flow completed once, a code spent once, a lease held by one courier), all-or-nothing commits across
 * repositories, and the shapes read back (an ordinary read never carries a password hash; a session and a login carry
 * the identity's copy).
 */
import { randomUUID } from 'node:crypto';
import { CodesPerFlowExhaustedError, ConcurrentUpdateError, DuplicateIdentifierError, FlowAlreadyUsedError, NoActiveSessionError } from '../../lib/errors/index.js';
import { queuedMessage } from '../../lib/courier/model.js';
import type { FlowRecord } from '../../lib/flows/model.js';
import { revised, sessionCopyOf, withFactor, type Identity } from '../../lib/identity/model.js';
import type { Session } from '../../lib/session/model.js';
import { hashSessionToken, newSessionToken } from '../../lib/session/service.js';
import type { Store } from '../../lib/store/store.js';

const HASH = '$2a$04$abcdefghijklmnopqrstuu5Y0I1KJHHBnlzZ8JZ8I6.ZNlW0f.f2';
const OTHER_HASH = '$2a$04$zyxwvutsrqponmlkjihgfeXcfX0O7Yh1JbH0p9Q1c1Y7vR6dB3nJe';
const HOUR = 3600_000;

const unique = (what: string) => `${what}-${randomUUID().slice(0, 12)}@example.com`;

export function flowRecord(over: Partial<FlowRecord> = {}): FlowRecord {
  const issuedAt = new Date();
  return {
    id: randomUUID(),
    type: 'registration',
    mode: 'api',
    state: 'choose_method',
    requestUrl: 'http://127.0.0.1/self-service/registration/api',
    issuedAt,
    expiresAt: new Date(issuedAt.getTime() + HOUR),
    ...over,
  };
}

export function identityRecord(email = unique('owner'), over: Partial<Identity> = {}): Identity {
  const at = new Date();
  const address = email.toLowerCase();
  return {
    id: randomUUID(),
    schemaId: 'default',
    state: 'active',
    traits: { email },
    metadataPublic: null,
    metadataAdmin: { note: 'admin only' },
    createdAt: at,
    updatedAt: at,
    identifiers: [address],
    verifiableAddresses: [{ id: randomUUID(), value: address, via: 'email', verified: false, status: 'pending', createdAt: at, updatedAt: at }],
    recoveryAddresses: [{ id: randomUUID(), value: address, via: 'email', createdAt: at, updatedAt: at }],
    password: { identifiers: [address], hashedPassword: HASH, createdAt: at, updatedAt: at },
    revision: 1,
    ...over,
  };
}

export function sessionRecord(identity: Identity, over: Partial<Session> = {}): { session: Session; tokenHash: string } {
  const at = new Date();
  return {
    tokenHash: hashSessionToken(newSessionToken()),
    session: {
      id: randomUUID(),
      active: true,
      identityId: identity.id,
      authenticatedAt: at,
      issuedAt: at,
      expiresAt: new Date(at.getTime() + HOUR),
      devices: [{ id: randomUUID(), ipAddress: '192.0.2.1', userAgent: 'contract' }],
      identity,
      amr: [{ method: 'password', aal: 'aal1', completedAt: at }],
      ...over,
    },
  };
}

/** What an ordinary read gives back: everything but the hash. */
const withoutHash = (identity: Identity): Identity => ({ ...identity, password: identity.password && { ...identity.password, hashedPassword: undefined } });

export function describeStoreContract(name: string, storeOf: () => Store) {
  describe(`the storage contract (${name})`, () => {
    let store: Store;
    beforeAll(() => {
      store = storeOf();
    });

    /** A registration's writes: the flow completed, the identity with its claims, its session. */
    async function register(identity = identityRecord(), flow = flowRecord()) {
      await store.flows.create(flow);
      const session = sessionRecord(identity);
      await store.commit(store.flows.complete(flow.id, new Date()), store.identities.create(identity), store.sessions.add(session.session, session.tokenHash));
      return { identity, flow, session };
    }

    describe('flows', () => {
      it('stores and reads a flow, and says when there is none', async () => {
        const record = flowRecord({ messages: [{ id: 4040001, text: 'expired', type: 'error' }], returnTo: 'http://127.0.0.1/x', refresh: false });
        await store.flows.create(record);
        await expect(store.flows.get(record.id)).resolves.toEqual(record);
        await expect(store.flows.get(randomUUID())).resolves.toBeUndefined();
        await expect(store.flows.create(record)).rejects.toThrow();
      });


      it('completes an open flow once: a second completion, an expired or a missing flow is FlowAlreadyUsedError', async () => {
        const open = flowRecord();
        await store.flows.create(open);
        await store.commit(store.flows.complete(open.id, new Date()));
        await expect(store.flows.get(open.id)).resolves.toMatchObject({ state: 'passed_challenge' });
        await expect(store.commit(store.flows.complete(open.id, new Date()))).rejects.toThrow(FlowAlreadyUsedError);
        const expired = flowRecord({ issuedAt: new Date(Date.now() - 2 * HOUR), expiresAt: new Date(Date.now() - 1000) });
        await store.flows.create(expired);
        await expect(store.commit(store.flows.complete(expired.id, new Date()))).rejects.toThrow(FlowAlreadyUsedError);
        await expect(store.commit(store.flows.complete(randomUUID(), new Date()))).rejects.toThrow(FlowAlreadyUsedError);
      });

      it('keeps what a browser submit left to show, a settings success, and a CSRF token; refuses a flow that is gone', async () => {
        const record = flowRecord({ type: 'settings', state: 'show_form', mode: 'browser' });
        await store.flows.create(record);
        const ui = { values: { traits: { email: 'x' } }, messages: [{ id: 4000001, text: 'no', type: 'error' as const }], nodeMessages: { password: [{ id: 4000002, text: 'missing', type: 'error' as const }] } };
        await store.flows.saveUi(record.id, ui);
        await expect(store.flows.get(record.id)).resolves.toMatchObject({ ui, state: 'show_form' });
        await store.flows.markSucceeded(record.id, { values: {}, messages: [], nodeMessages: {} });
        await expect(store.flows.get(record.id)).resolves.toMatchObject({ state: 'success', ui: { values: {}, messages: [], nodeMessages: {} } });
        await store.flows.setCsrfToken(record.id, 'masked');
        await expect(store.flows.get(record.id)).resolves.toMatchObject({ csrfToken: 'masked' });
        await expect(store.flows.saveUi(randomUUID(), ui)).rejects.toThrow();
      });

      it("keeps each method's internal state on a flow apart, replaces and removes it, and keeps a login's requested AAL", async () => {
        const record = flowRecord({ type: 'login', requestedAal: 'aal2' });
        await store.flows.create(record);
        await store.flows.setInternal(record.id, 'totp', { url: 'otpauth://totp/a' });
        await store.flows.setInternal(record.id, 'lookup_secret', { codes: ['a', 'b'] });
        await store.flows.setInternal(record.id, 'totp', { url: 'otpauth://totp/b' });
        await expect(store.flows.get(record.id)).resolves.toMatchObject({ requestedAal: 'aal2', internal: { totp: { url: 'otpauth://totp/b' }, lookup_secret: { codes: ['a', 'b'] } } });
        await store.flows.setInternal(record.id, 'totp', undefined);
        expect((await store.flows.get(record.id))?.internal).toEqual({ lookup_secret: { codes: ['a', 'b'] } });
        await expect(store.flows.setInternal(randomUUID(), 'totp', {})).rejects.toThrow();
      });

      it('moves an open flow between its two screens, with what the first took, and refuses a done or missing one', async () => {
        const record = flowRecord({ type: 'registration', screen: 'profile', mode: 'browser', messages: [{ id: 4040001, text: 'expired', type: 'error' }] });
        await store.flows.create(record);
        const { messages: _startedWith, ...moved } = record;
        const chose = { values: {}, messages: [{ id: 1040009, text: 'choose', type: 'info' as const }], nodeMessages: {} };
        await store.flows.showScreen(record.id, 'credentials', { traits: { email: 'a@example.com', name: { first: 'A' } } }, chose);
        await expect(store.flows.get(record.id)).resolves.toEqual({ ...moved, screen: 'credentials', firstScreen: { traits: { email: 'a@example.com', name: { first: 'A' } } }, ui: chose });
        const back = { values: { traits: { email: 'a@example.com' } }, messages: [], nodeMessages: {} };
        await store.flows.showScreen(record.id, 'profile', undefined, back);
        await expect(store.flows.get(record.id)).resolves.toEqual({ ...moved, screen: 'profile', ui: back });
        await store.commit(store.flows.complete(record.id, new Date()));
        await expect(store.flows.showScreen(record.id, 'credentials', { identifier: 'a' }, back)).rejects.toThrow(FlowAlreadyUsedError);
        await expect(store.flows.showScreen(randomUUID(), 'credentials', { identifier: 'a' }, back)).rejects.toThrow(FlowAlreadyUsedError);
      });

      it('adds flows as part of a change, all or nothing with it', async () => {
        const added = flowRecord({ type: 'verification' });
        const taken = identityRecord();
        await register(taken);
        await expect(store.commit(store.flows.add(added), store.identities.create(identityRecord(taken.traits.email as string)))).rejects.toThrow(DuplicateIdentifierError);
        await expect(store.flows.get(added.id)).resolves.toBeUndefined();
        await store.commit(store.flows.add(added));
        await expect(store.flows.get(added.id)).resolves.toEqual(added);
      });
    });

    describe('identities and their claims', () => {
      it('keeps the password hash out of ordinary reads, and gives every field back', async () => {
        const { identity } = await register();
        const expected = { ...identity, stateChangedAt: identity.createdAt };
        await expect(store.identities.getWithCredentials(identity.id)).resolves.toEqual(expected);
        await expect(store.identities.get(identity.id)).resolves.toEqual(withoutHash(expected));
        await expect(store.identities.get(randomUUID())).resolves.toBeUndefined();
      });

      it('finds an identity by its identifier and by its addresses', async () => {
        const { identity } = await register();
        const address = identity.identifiers![0];
        await expect(store.identities.findIdByIdentifier(address)).resolves.toBe(identity.id);
        await expect(store.identities.findIdByAddress('recovery', address)).resolves.toBe(identity.id);
        await expect(store.identities.findIdByAddress('verification', address)).resolves.toBe(identity.id);
        await expect(store.identities.findIdByIdentifier(unique('nobody'))).resolves.toBeUndefined();
      });

      it('refuses a taken identifier or address, and then writes nothing of the whole change', async () => {
        const { identity } = await register();
        const second = identityRecord(identity.identifiers![0]);
        const flow = flowRecord();
        await store.flows.create(flow);
        const session = sessionRecord(second);
        await expect(store.commit(store.flows.complete(flow.id, new Date()), store.identities.create(second), store.sessions.add(session.session, session.tokenHash))).rejects.toThrow(
          DuplicateIdentifierError,
        );
        await expect(store.identities.get(second.id)).resolves.toBeUndefined();
        await expect(store.sessions.getByTokenHash(session.tokenHash)).resolves.toBeUndefined();
        await expect(store.flows.get(flow.id)).resolves.toMatchObject({ state: 'choose_method' });
        // Another identifier, but the same recovery address: also taken.
        const sameAddress = identityRecord(unique('other'), { recoveryAddresses: identity.recoveryAddresses });
        await expect(store.commit(store.identities.create(sameAddress))).rejects.toThrow(DuplicateIdentifierError);
        await expect(store.identities.findIdByIdentifier(sameAddress.identifiers![0])).resolves.toBeUndefined();
      });

      it('reports the first failing condition in the order the writes were given', async () => {
        const { identity, flow } = await register();
        const again = identityRecord(identity.identifiers![0]);
        await expect(store.commit(store.flows.complete(flow.id, new Date()), store.identities.create(again))).rejects.toThrow(FlowAlreadyUsedError);
        await expect(store.commit(store.identities.create(again), store.flows.complete(flow.id, new Date()))).rejects.toThrow(DuplicateIdentifierError);
      });

      it('moves claims with an update, keeps the login copy in step, and refuses a stale or conflicting one', async () => {
        const { identity } = await register();
        const current = (await store.identities.getWithCredentials(identity.id))!;
        const renamed = unique('renamed');
        const next = revised(
          { ...current, state: 'inactive', traits: { email: renamed }, identifiers: [renamed], password: { ...current.password!, identifiers: [renamed], hashedPassword: OTHER_HASH } },
          current,
        );
        await store.commit(store.identities.update(next, current));
        await expect(store.identities.findIdByIdentifier(identity.identifiers![0])).resolves.toBeUndefined();
        await expect(store.identities.findIdByIdentifier(renamed)).resolves.toBe(identity.id);
        const login = flowRecord({ type: 'login' });
        await store.flows.create(login);
        const found = await store.passwords.flowWithCredential(login.id, renamed);
        expect(found.flow).toEqual(login);
        expect(found.credential).toEqual({ hashedPassword: OTHER_HASH, identity: { ...sessionCopyOf(next), revision: 2 } });
        await expect(store.passwords.flowWithCredential(login.id, identity.identifiers![0])).resolves.toEqual({ flow: login, credential: undefined });
        // The update read `current` at revision 1; the identity is at 2 now.
        await expect(store.commit(store.identities.update(revised(current, current), current))).rejects.toThrow(ConcurrentUpdateError);
        await expect(store.commit(store.identities.unchanged(identity.id, 1))).rejects.toThrow(ConcurrentUpdateError);
        await store.commit(store.identities.unchanged(identity.id, 2));
        // Taking another identity's identifier.
        const { identity: other } = await register();
        const stored = (await store.identities.getWithCredentials(identity.id))!;
        const clash = revised({ ...stored, identifiers: [other.identifiers![0]], password: { ...stored.password!, identifiers: [other.identifiers![0]] } }, stored);
        await expect(store.commit(store.identities.update(clash, stored))).rejects.toThrow(DuplicateIdentifierError);
        await expect(store.identities.findIdByIdentifier(other.identifiers![0])).resolves.toBe(other.id);
      });

      it('claims a linked provider account once, keeps its tokens out of ordinary reads, and releases it on unlink and delete', async () => {
        const at = new Date();
        const subject = randomUUID();
        const link = { provider: 'op', subject, tokens: { idToken: 'sealed-id-token', refreshToken: 'sealed-refresh' } };
        const identity = identityRecord(unique('linked'), { oidc: { providers: [link], createdAt: at, updatedAt: at } });
        await store.commit(store.identities.create(identity));
        expect(await store.identities.findIdByCredential('oidc', `op:${subject}`)).toBe(identity.id);
        expect((await store.identities.get(identity.id))?.oidc).toEqual({ providers: [{ provider: 'op', subject }], createdAt: at, updatedAt: at });
        expect((await store.identities.getWithCredentials(identity.id))?.oidc?.providers).toEqual([link]);
        // Another identity cannot link the same account.
        const other = identityRecord(unique('other'), { oidc: { providers: [{ provider: 'op', subject }], createdAt: at, updatedAt: at } });
        await expect(store.commit(store.identities.create(other))).rejects.toThrow(DuplicateIdentifierError);
        expect(await store.identities.get(other.id)).toBeUndefined();
        // Unlinked: the account is free again; deleted: so is every other one.
        const stored = (await store.identities.getWithCredentials(identity.id))!;
        const second = { provider: 'op2', subject };
        await store.commit(store.identities.update(revised({ ...stored, oidc: { ...stored.oidc!, providers: [second] } }, stored), stored));
        expect(await store.identities.findIdByCredential('oidc', `op:${subject}`)).toBeUndefined();
        expect(await store.identities.findIdByCredential('oidc', `op2:${subject}`)).toBe(identity.id);
        expect(await store.identities.delete(identity.id)).toBe(true);
        expect(await store.identities.findIdByCredential('oidc', `op2:${subject}`)).toBeUndefined();
      });

      it('keeps second factors and passkeys for privileged reads, what they reach on every read and session, and claims passkey handles once', async () => {
        const at = new Date();
        const handle = randomUUID();
        const passkey = { identifiers: [handle], config: { credentials: [{ id: 'a2V5', is_passwordless: true }] }, version: 1, createdAt: at, updatedAt: at };
        const identity = withFactor(identityRecord(unique('factors')), 'passkey', passkey);
        await store.commit(store.identities.create(identity));
        expect(await store.identities.findIdByCredential('passkey', handle)).toBe(identity.id);
        expect((await store.identities.get(identity.id))?.factors).toBeUndefined();
        expect((await store.identities.get(identity.id))?.availableAal).toBeUndefined();
        expect((await store.identities.getWithCredentials(identity.id))?.factors).toEqual({ passkey });
        // Another identity cannot hold the same user handle.
        const other = withFactor(identityRecord(unique('other')), 'passkey', { ...passkey });
        await expect(store.commit(store.identities.create(other))).rejects.toThrow(DuplicateIdentifierError);
        // A TOTP added: aal2 is reachable, on ordinary reads and on a session's copy too.
        const stored = (await store.identities.getWithCredentials(identity.id))!;
        const totp = { identifiers: [identity.id], config: { totp_url: 'otpauth://totp/x:y?secret=ABC' }, version: 0, createdAt: at, updatedAt: at };
        await store.commit(store.identities.update(revised({ ...withFactor(stored, 'totp', totp), updatedAt: at }, stored), stored));
        const read = (await store.identities.get(identity.id))!;
        expect(read.availableAal).toBe('aal2');
        expect(() => revised({ ...read, password: undefined, updatedAt: at }, read)).toThrow(/factors/);
        const session = sessionRecord(read);
        await store.commit(store.sessions.add(session.session, session.tokenHash));
        expect((await store.sessions.getByTokenHash(session.tokenHash))?.identity.availableAal).toBe('aal2');
        // Removed: the handle is free again; deleted: so is every other claim.
        const withTotp = (await store.identities.getWithCredentials(identity.id))!;
        await store.commit(store.identities.update(revised(withFactor(withTotp, 'passkey', undefined), withTotp), withTotp));
        expect(await store.identities.findIdByCredential('passkey', handle)).toBeUndefined();
        const again = (await store.identities.getWithCredentials(identity.id))!;
        await store.commit(store.identities.update(revised(withFactor(again, 'passkey', passkey), again), again));
        expect(await store.identities.delete(identity.id)).toBe(true);
        expect(await store.identities.findIdByCredential('passkey', handle)).toBeUndefined();
      });

      it('releases a claim an identity stored before that kind of claim existed never got (a security key’s user handle)', async () => {
        const at = new Date();
        const handle = randomUUID();
        const webauthn = { identifiers: [unique('key')], config: { user_handle: handle, credentials: [{ id: 'a2V5', is_passwordless: false }] }, version: 1, createdAt: at, updatedAt: at };
        const plain = identityRecord(unique('legacy'));
        await store.commit(store.identities.create(plain));
        const stored = (await store.identities.getWithCredentials(plain.id))!;
        // Stored with the key as an earlier version stored it: told it had the key already, the store claims nothing.
        const legacy = withFactor(stored, 'webauthn', webauthn);
        await store.commit(store.identities.update(revised({ ...legacy, updatedAt: at }, stored), { ...stored, factors: legacy.factors }));
        expect(await store.identities.findIdByCredential('webauthn_user_handle', handle)).toBeUndefined();
        expect((await store.identities.getWithCredentials(plain.id))?.factors?.webauthn).toBeDefined();
        // Its key removed, then the identity deleted: nothing to release is no reason to refuse either.
        const read = (await store.identities.getWithCredentials(plain.id))!;
        await store.commit(store.identities.update(revised(withFactor(read, 'webauthn', undefined), read), read));
        expect((await store.identities.getWithCredentials(plain.id))?.factors?.webauthn).toBeUndefined();
        const again = (await store.identities.getWithCredentials(plain.id))!;
        await store.commit(store.identities.update(revised({ ...withFactor(again, 'webauthn', webauthn), updatedAt: at }, again), { ...again, factors: withFactor(again, 'webauthn', webauthn).factors }));
        expect(await store.identities.delete(plain.id)).toBe(true);
        // Another identity's claim is still never released by one that does not hold it.
        const holder = withFactor(identityRecord(unique('holder')), 'webauthn', { ...webauthn, identifiers: [unique('key2')] });
        await store.commit(store.identities.create(holder));
        expect(await store.identities.findIdByCredential('webauthn_user_handle', handle)).toBe(holder.id);
      });

      it('claims a code address once (Kratos’s code credential), found by it, released when it goes', async () => {
        const at = new Date();
        const address = unique('code');
        const credential = { identifiers: [address], config: { addresses: [{ channel: 'email', address }] }, version: 1, createdAt: at, updatedAt: at };
        const identity = withFactor(identityRecord(unique('coded')), 'code', credential);
        await store.commit(store.identities.create(identity));
        expect(await store.identities.findIdByCredential('code', address)).toBe(identity.id);
        // An ordinary read, and the copy sessions and claims carry, say it has code addresses (a second factor while codes are one).
        expect((await store.identities.get(identity.id))?.codeAddresses).toBe(true);
        const other = withFactor(identityRecord(unique('coded2')), 'code', { ...credential });
        await expect(store.commit(store.identities.create(other))).rejects.toThrow(DuplicateIdentifierError);
        const stored = (await store.identities.getWithCredentials(identity.id))!;
        await store.commit(store.identities.update(revised(withFactor(stored, 'code', undefined), stored), stored));
        expect(await store.identities.findIdByCredential('code', address)).toBeUndefined();
        expect((await store.identities.get(identity.id))?.codeAddresses).toBeUndefined();
      });

      it('steps a session up in place: its id, token and expiry kept, its AMR and identity copy replaced; a revoked one refused', async () => {
        const identity = identityRecord(unique('step-up'));
        await store.commit(store.identities.create(identity));
        const { session, tokenHash } = sessionRecord(identity);
        await store.commit(store.sessions.add(session, tokenHash));
        const later = new Date(session.authenticatedAt.getTime() + 60_000);
        const amr = [...session.amr, { method: 'totp', aal: 'aal2' as const, completedAt: later }];
        await store.commit(store.sessions.stepUp(tokenHash, { amr, authenticatedAt: later, identity: { ...identity, traits: { email: 'changed@example.com' }, availableAal: 'aal2' } }));
        const read = (await store.sessions.getByTokenHash(tokenHash))!;
        expect(read.id).toBe(session.id);
        expect(read.expiresAt).toEqual(session.expiresAt);
        expect(read.amr).toEqual(amr);
        expect(read.authenticatedAt).toEqual(later);
        expect(read.identity.traits).toEqual({ email: 'changed@example.com' });
        expect(read.identity.availableAal).toBe('aal2');
        await store.sessions.revokeByTokenHash(tokenHash);
        await expect(store.commit(store.sessions.stepUp(tokenHash, { amr, authenticatedAt: later, identity }))).rejects.toThrow(NoActiveSessionError);
        await expect(store.commit(store.sessions.stepUp(hashSessionToken(newSessionToken()), { amr, authenticatedAt: later, identity }))).rejects.toThrow(NoActiveSessionError);
      });

      it('deletes an identity with its claims, once', async () => {
        const { identity } = await register();
        await expect(store.identities.delete(identity.id)).resolves.toBe(true);
        await expect(store.identities.get(identity.id)).resolves.toBeUndefined();
        await expect(store.identities.findIdByIdentifier(identity.identifiers![0])).resolves.toBeUndefined();
        await expect(store.identities.findIdByAddress('recovery', identity.identifiers![0])).resolves.toBeUndefined();
        await expect(store.identities.delete(identity.id)).resolves.toBe(false);
        // Its identifier can be claimed again.
        await store.commit(store.identities.create(identityRecord(identity.identifiers![0])));
      });

      it('commits many units each whole or not at all, answering each one its own error (commitEach)', async () => {
        const taken = identityRecord();
        await store.commit(store.identities.create(taken));
        const fresh = Array.from({ length: 60 }, () => identityRecord());
        const twice = unique('twice');
        const clash = identityRecord((taken.traits.email as string).toUpperCase());
        const units = [
          ...fresh.slice(0, 30),
          clash,
          identityRecord(twice),
          identityRecord(twice.toUpperCase()),
          ...fresh.slice(30),
        ].map((identity) => [store.identities.create(identity)]);
        const outcomes = await store.commitEach(units);
        expect(outcomes).toHaveLength(63);
        expect(outcomes[30]).toBeInstanceOf(DuplicateIdentifierError);
        // Of two units claiming one identifier, the first is written, as if committed one by one.
        expect(outcomes[31]).toBeUndefined();
        expect(outcomes[32]).toBeInstanceOf(DuplicateIdentifierError);
        expect(outcomes.filter((outcome) => outcome !== undefined)).toHaveLength(2);
        for (const identity of fresh) await expect(store.identities.findIdByIdentifier(identity.identifiers![0])).resolves.toBe(identity.id);
        // The refused one left nothing: no identity; its identifier and address still the first one's.
        await expect(store.identities.get(clash.id)).resolves.toBeUndefined();
        await expect(store.identities.findIdByIdentifier(taken.identifiers![0])).resolves.toBe(taken.id);
        await expect(store.identities.findIdByAddress('recovery', taken.identifiers![0])).resolves.toBe(taken.id);
        await expect(store.commitEach([])).resolves.toEqual([]);
      });

      it('lists identities in id order, a page at a time, with hashes only when asked', async () => {
        const seen: Identity[] = [];
        let after: string | undefined;
        for (let round = 0; round < 1000; round++) {
          const page = await store.identities.list({ pageSize: 7, after }, round % 2 === 0);
          expect(page.items.length).toBeLessThanOrEqual(7);
          for (const item of page.items) expect(Boolean(item.password?.hashedPassword)).toBe(round % 2 === 0 && item.password !== undefined);
          seen.push(...page.items);
          after = page.next;
          if (!after) break;
        }
        const ids = seen.map((i) => i.id);
        expect(ids).toEqual([...ids].sort());
        expect(new Set(ids).size).toBe(ids.length);
        expect(seen.length).toBeGreaterThan(3);
      });

      it('gives one identifier to exactly one of 20 concurrent registrations', async () => {
        const email = unique('race');
        const results = await Promise.allSettled(Array.from({ length: 20 }, () => register(identityRecord(email))));
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(DuplicateIdentifierError);
      });
    });

    describe('sessions', () => {
      it('keep a copy of their identity (no hash, no admin metadata) and their AMR, found by the hash of their token only', async () => {
        const { identity, session } = await register();
        const stored = await store.sessions.getByTokenHash(session.tokenHash);
        expect(stored).toEqual({ ...session.session, tokenHash: session.tokenHash, identity: sessionCopyOf(identity) });
        expect(stored?.identity.password).toBeUndefined();
        await expect(store.sessions.getById(session.session.id)).resolves.toMatchObject({ id: session.session.id });
        await expect(store.sessions.getByTokenHash(hashSessionToken(newSessionToken()))).resolves.toBeUndefined();
      });

      it('revoke, extend, refresh their identity copy, and go with their identity', async () => {
        const { identity, session } = await register();
        await expect(store.sessions.revokeByTokenHash(session.tokenHash)).resolves.toEqual({ sessionId: session.session.id, identityId: identity.id });
        await expect(store.sessions.getByTokenHash(session.tokenHash)).resolves.toMatchObject({ active: false });
        await expect(store.sessions.revokeByTokenHash(hashSessionToken(newSessionToken()))).resolves.toBeUndefined();
        const later = new Date(Date.now() + 5 * HOUR);
        await expect(store.sessions.extend(session.tokenHash, later)).resolves.toBe(true);
        await expect(store.sessions.getByTokenHash(session.tokenHash)).resolves.toMatchObject({ expiresAt: later });
        await expect(store.sessions.extend(hashSessionToken(newSessionToken()), later)).resolves.toBe(false);
        const renamed = { ...identity, traits: { email: 'renamed@example.com' } };
        await store.sessions.refreshIdentity(renamed);
        await expect(store.sessions.getByTokenHash(session.tokenHash)).resolves.toMatchObject({ identity: { traits: { email: 'renamed@example.com' } } });
        await store.sessions.deleteAllOfIdentity(identity.id);
        await expect(store.sessions.getByTokenHash(session.tokenHash)).resolves.toBeUndefined();
      });

      it("list an identity's sessions oldest first, filter by activity, and revoke them all", async () => {
        const { identity, session: first } = await register();
        const second = sessionRecord(identity, { issuedAt: new Date(Date.now() + 1000) });
        const expired = sessionRecord(identity, { issuedAt: new Date(Date.now() + 2000), expiresAt: new Date(Date.now() - 1000) });
        await store.commit(store.sessions.add(second.session, second.tokenHash), store.sessions.add(expired.session, expired.tokenHash));
        const now = new Date();
        const all = await store.sessions.listByIdentity(identity.id, { pageSize: 2, now });
        expect(all.items.map((s) => s.id)).toEqual([first.session.id, second.session.id]);
        const rest = await store.sessions.listByIdentity(identity.id, { pageSize: 2, after: all.next, now });
        expect(rest).toEqual({ items: [expect.objectContaining({ id: expired.session.id })], next: undefined });
        await expect(store.sessions.listByIdentity(identity.id, { pageSize: 10, active: false, now })).resolves.toMatchObject({ items: [{ id: expired.session.id }] });
        const everyone: string[] = [];
        for (let after: string | undefined, round = 0; round === 0 || after; round++) {
          const page = await store.sessions.list({ pageSize: 50, after, now, active: true });
          everyone.push(...page.items.map((s) => s.id));
          after = page.next;
        }
        expect(everyone).toEqual([...everyone].sort());
        expect(everyone).toEqual(expect.arrayContaining([first.session.id, second.session.id]));
        expect(everyone).not.toContain(expired.session.id);
        await expect(store.sessions.revokeAllOfIdentity(identity.id, second.session.id)).resolves.toBe(2);
        await expect(store.sessions.getByTokenHash(second.tokenHash)).resolves.toMatchObject({ active: true });
        await expect(store.sessions.revokeAllOfIdentity(identity.id)).resolves.toBe(1);
        await expect(store.sessions.listByIdentity(identity.id, { pageSize: 10, active: true, now })).resolves.toEqual({ items: [], next: undefined });
      });
    });

    describe("the code method's state", () => {
      const inAnHour = new Date(Date.now() + HOUR);
      const code = (hmac: string, over: { identityId?: string } = {}) => ({ hmac, expiresAt: inAnHour, address: 'a@example.com', ...over });
      const ui = { values: {}, messages: [], nodeMessages: {} };

      it('records a code sent, keeps the submission count through a resend, and refuses a done or expired flow', async () => {
        const flow = flowRecord({ type: 'recovery' });
        await store.flows.create(flow);
        await store.commit(store.codes.sendCode(flow.id, code('h1', { identityId: 'someone' }), ui, new Date(), 10), store.courier.placeholder());
        await expect(store.flows.get(flow.id)).resolves.toMatchObject({ state: 'sent_email', active: 'code', code: code('h1', { identityId: 'someone' }), submissions: 0 });
        await expect(store.codes.countSubmission(flow.id, 2)).resolves.toBe(true);
        await store.commit(store.codes.sendCode(flow.id, code('h2'), ui, new Date(), 10));
        await expect(store.flows.get(flow.id)).resolves.toMatchObject({ code: { hmac: 'h2' }, submissions: 1 });
        await expect(store.codes.countSubmission(flow.id, 2)).resolves.toBe(true);
        await expect(store.codes.countSubmission(flow.id, 2)).resolves.toBe(false);
        const expired = flowRecord({ type: 'recovery', expiresAt: new Date(Date.now() - 1000) });
        await store.flows.create(expired);
        await expect(store.commit(store.codes.sendCode(expired.id, code('h'), ui, new Date(), 10))).rejects.toThrow(FlowAlreadyUsedError);
      });

      it('counts the codes a flow sends, and refuses one past its maximum', async () => {
        const flow = flowRecord({ type: 'recovery' });
        await store.flows.create(flow);
        await store.commit(store.codes.sendCode(flow.id, code('h1'), ui, new Date(), 2));
        await store.commit(store.codes.sendCode(flow.id, code('h2'), ui, new Date(), 2));
        await expect(store.flows.get(flow.id)).resolves.toMatchObject({ sends: 2, code: { hmac: 'h2' } });
        await expect(store.commit(store.codes.sendCode(flow.id, code('h3'), ui, new Date(), 2))).rejects.toThrow(CodesPerFlowExhaustedError);
        await expect(store.flows.get(flow.id)).resolves.toMatchObject({ sends: 2, code: { hmac: 'h2' } });
      });

      it('leaves a login flow awaiting a code open: completed once', async () => {
        const awaiting = flowRecord({ type: 'login' });
        await store.flows.create(awaiting);
        await store.commit(store.codes.sendCode(awaiting.id, code('sent'), { values: {}, messages: [], nodeMessages: {} }, new Date(), 3));
        await store.commit(store.flows.complete(awaiting.id, new Date()));
        await expect(store.commit(store.flows.complete(awaiting.id, new Date()))).rejects.toThrow(FlowAlreadyUsedError);
      });

      it('keeps the traits a registration code was sent for', async () => {
        const flow = flowRecord();
        await store.flows.create(flow);
        const traits = { email: unique('traits'), name: { first: 'Ada' } };
        await store.commit(store.codes.sendCode(flow.id, { ...code('right'), traits }, { values: {}, messages: [], nodeMessages: {} }, new Date(), 3));
        expect((await store.flows.get(flow.id))?.code).toMatchObject({ hmac: 'right', traits });
      });

      it('spends a code once: the right one passes the challenge, then neither it nor another does', async () => {
        const flow = flowRecord({ type: 'verification' });
        await store.flows.create(flow);
        await store.commit(store.codes.sendCode(flow.id, code('right'), { values: { code: '1' }, messages: [], nodeMessages: {} }, new Date(), 10));
        await expect(store.commit(store.codes.passChallenge(flow.id, 'wrong', new Date()))).rejects.toThrow(FlowAlreadyUsedError);
        const both = await Promise.allSettled([store.commit(store.codes.passChallenge(flow.id, 'right', new Date())), store.commit(store.codes.passChallenge(flow.id, 'right', new Date()))]);
        expect(both.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        const done = await store.flows.get(flow.id);
        expect(done).toMatchObject({ state: 'passed_challenge' });
        expect(done?.code).toBeUndefined();
        expect(done?.ui).toBeUndefined();
      });
    });

    describe('the courier queue', () => {
      const message = (over: { nextAttemptAt?: Date } = {}) => {
        const m = queuedMessage(randomUUID(), 'recovery_code_valid', { to: unique('mail'), recovery_code: '123456' }, new Date(Date.now() - 60_000), '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
        return { ...m, ...over };
      };

      it('claims a due message for one attempt at a time, and marks only that attempt', async () => {
        const queued = message();
        await store.commit(store.courier.queue(queued));
        await expect(store.courier.get(queued.id)).resolves.toEqual(queued);
        const now = new Date();
        const due = await store.courier.listDue(now, 1000);
        expect(due.map((m) => m.id)).toContain(queued.id);
        const claimed = await store.courier.claim(queued.id, now, 30_000);
        expect(claimed).toMatchObject({ id: queued.id, sendCount: 1 });
        await expect(store.courier.claim(queued.id, now, 30_000)).resolves.toBeUndefined();
        const later = new Date(now.getTime() + 60_000);
        await expect(store.courier.markRetry(claimed!, now, 'Error ECONNECTION', later)).resolves.toBe(true);
        await expect(store.courier.claim(queued.id, now, 30_000)).resolves.toBeUndefined(); // not due yet
        const again = (await store.courier.claim(queued.id, later, 30_000))!;
        expect(again).toMatchObject({ sendCount: 2, lastError: 'Error ECONNECTION' });
        await expect(store.courier.markSent(claimed!, later)).resolves.toBe(false); // the first attempt holds nothing
        await expect(store.courier.markSent(again, later)).resolves.toBe(true);
        const sent = await store.courier.get(queued.id);
        expect(sent).toMatchObject({ status: 'sent', sendCount: 2, templateData: { to: queued.recipient } });
        expect(sent?.templateData.recovery_code).toBeUndefined();
        expect((await store.courier.listDue(later, 1000)).map((m) => m.id)).not.toContain(queued.id);
      });

      it('lists every message newest first (then by id), filtered by recipient and status, a keyset page at a time', async () => {
        const recipient = unique('listed');
        const at = (secondsAgo: number) => new Date(Date.now() - secondsAgo * 1000);
        const [oldest, middle, newest] = [30, 20, 10].map((ago) => ({ ...queuedMessage(randomUUID(), 'verification_code_valid', { to: recipient, verification_code: '654321' }, at(ago), undefined) }));
        const elsewhere = queuedMessage(randomUUID(), 'verification_code_valid', { to: unique('other') }, at(5), undefined);
        await store.commit(store.courier.queue(middle), store.courier.queue(newest), store.courier.queue(oldest), store.courier.queue(elsewhere));
        const claimed = (await store.courier.claim(middle.id, new Date(), 30_000))!;
        await store.courier.markSent(claimed, new Date());

        const all = await store.courier.list({ recipient }, { pageSize: 10 });
        expect(all.items.map((m) => m.id)).toEqual([newest.id, middle.id, oldest.id]);
        expect(all.next).toBeUndefined();
        expect(all.items[1]).toMatchObject({ status: 'sent', sendCount: 1 });

        const first = await store.courier.list({ recipient }, { pageSize: 2 });
        expect(first.items.map((m) => m.id)).toEqual([newest.id, middle.id]);
        const second = await store.courier.list({ recipient }, { pageSize: 2, after: first.next });
        expect(second.items.map((m) => m.id)).toEqual([oldest.id]);
        expect(second.next).toBeUndefined();

        expect((await store.courier.list({ recipient, status: 'queued' }, { pageSize: 10 })).items.map((m) => m.id)).toEqual([newest.id, oldest.id]);
        expect((await store.courier.list({ recipient, status: 'sent' }, { pageSize: 10 })).items.map((m) => m.id)).toEqual([middle.id]);
        expect((await store.courier.list({ recipient, status: 'abandoned' }, { pageSize: 10 })).items).toEqual([]);
        expect((await store.courier.list({ recipient: unique('nobody') }, { pageSize: 10 })).items).toEqual([]);
        // A message of another channel than e-mail is not listed.
        const otherChannel = { ...queuedMessage(randomUUID(), 'verification_code_valid', { to: recipient }, at(1), undefined), channel: 'webhook' } as unknown as typeof newest;
        await store.commit(store.courier.queue(otherChannel));
        expect((await store.courier.list({ recipient }, { pageSize: 10 })).items.map((m) => m.id)).toEqual([newest.id, middle.id, oldest.id]);
        // Unfiltered, the newest of all comes first.
        const ids = (await store.courier.list({}, { pageSize: 1000 })).items.map((m) => m.id);
        expect(ids.indexOf(elsewhere.id)).toBeLessThan(ids.indexOf(newest.id));
      });

      it('lists due messages the longest waiting first, and gives up on one', async () => {
        const older = message({ nextAttemptAt: new Date(Date.now() - 50_000) });
        const newer = message({ nextAttemptAt: new Date(Date.now() - 40_000) });
        const future = message({ nextAttemptAt: new Date(Date.now() + HOUR) });
        await store.commit(store.courier.queue(newer), store.courier.queue(older), store.courier.queue(future));
        const ids = (await store.courier.listDue(new Date(), 1000)).map((m) => m.id);
        expect(ids.indexOf(older.id)).toBeLessThan(ids.indexOf(newer.id));
        expect(ids).not.toContain(future.id);
        const claimed = (await store.courier.claim(older.id, new Date(), 30_000))!;
        await expect(store.courier.markAbandoned(claimed, new Date(), 'Error gave up')).resolves.toBe(true);
        await expect(store.courier.get(older.id)).resolves.toMatchObject({ status: 'abandoned', lastError: 'Error gave up' });
      });
    });

    describe('guessing limits', () => {
      const limit = { perClient: 3, perIdentifier: 5, windowMs: 60_000, lockoutMs: 120_000 };

      it("allow a client its attempts per window, then lock that client out (others go on), and count afresh after the lockout", async () => {
        const key = `contract#${randomUUID()}`;
        const t0 = Date.now();
        for (let i = 0; i < 3; i++) await expect(store.throttle.reserve(key, 'a', limit, new Date(t0 + i))).resolves.toEqual({ allowed: true });
        await expect(store.throttle.reserve(key, 'a', limit, new Date(t0 + 10))).resolves.toEqual({ allowed: false, retryAfterMs: 120_000, lockedNow: true, by: 'client' });
        await expect(store.throttle.reserve(key, 'a', limit, new Date(t0 + 20))).resolves.toEqual({ allowed: false, retryAfterMs: 119_990, lockedNow: false, by: 'client' });
        await expect(store.throttle.reserve(key, 'b', limit, new Date(t0 + 30))).resolves.toEqual({ allowed: true });
        // The lockout outlives the window; then the client starts afresh.
        await expect(store.throttle.reserve(key, 'a', limit, new Date(t0 + 100_000))).resolves.toMatchObject({ allowed: false, by: 'client' });
        await expect(store.throttle.reserve(key, 'a', limit, new Date(t0 + 120_011))).resolves.toEqual({ allowed: true });
      });

      it('lock the identifier out at its ceiling across clients, but for a caller it does not apply to (a trusted device)', async () => {
        const key = `contract#${randomUUID()}`;
        const t0 = Date.now();
        for (const client of ['a', 'b', 'c', 'd', 'e']) await expect(store.throttle.reserve(key, client, limit, new Date(t0))).resolves.toEqual({ allowed: true });
        await expect(store.throttle.reserve(key, 'f', limit, new Date(t0 + 1))).resolves.toEqual({ allowed: false, retryAfterMs: 120_000, lockedNow: true, by: 'identifier' });
        await expect(store.throttle.reserve(key, 'a', limit, new Date(t0 + 2))).resolves.toMatchObject({ allowed: false, by: 'identifier' });
        await expect(store.throttle.reserve(key, 'g', { ...limit, perIdentifier: undefined }, new Date(t0 + 3))).resolves.toEqual({ allowed: true });
      });

      it('give a success back: the client counts afresh; and forget everything when cleared', async () => {
        const key = `contract#${randomUUID()}`;
        const t0 = Date.now();
        for (let i = 0; i < 3; i++) await store.throttle.reserve(key, 'a', limit, new Date(t0));
        await store.commit(store.throttle.succeeded(key, 'a', 180_000, new Date(t0)));
        for (let i = 0; i < 3; i++) await expect(store.throttle.reserve(key, 'a', limit, new Date(t0 + 1))).resolves.toEqual({ allowed: true });
        await store.throttle.reserve(key, 'a', limit, new Date(t0 + 2)); // locked out
        await store.commit(store.throttle.clear(key));
        await expect(store.throttle.reserve(key, 'a', limit, new Date(t0 + 3))).resolves.toEqual({ allowed: true });
        // Giving back an attempt on a counter that is gone does no harm.
        await store.commit(store.throttle.succeeded(`contract#${randomUUID()}`, 'a', 180_000, new Date(t0)));
      });

      it('start a new window once the old one ended', async () => {
        const key = `contract#${randomUUID()}`;
        const t0 = Date.now();
        for (let i = 0; i < 3; i++) await store.throttle.reserve(key, 'a', limit, new Date(t0));
        await expect(store.throttle.reserve(key, 'a', limit, new Date(t0 + 60_001))).resolves.toEqual({ allowed: true });
      });

      it('let at most a client\'s limit of 20 concurrent attempts through', async () => {
        const key = `contract#${randomUUID()}`;
        const now = new Date();
        const results = await Promise.all(Array.from({ length: 20 }, () => store.throttle.reserve(key, 'a', limit, now)));
        expect(results.filter((r) => r.allowed)).toHaveLength(3);
      });

      it("count a client's failures in a window, read back until it ends", async () => {
        const key = `contract#${randomUUID()}`;
        const t0 = new Date();
        await expect(store.throttle.failures(key, t0)).resolves.toBeUndefined();
        await store.throttle.recordFailure(key, 60_000, t0);
        await store.throttle.recordFailure(key, 60_000, new Date(t0.getTime() + 1));
        await expect(store.throttle.failures(key, new Date(t0.getTime() + 2))).resolves.toEqual({ count: 2, windowEndsAt: new Date(t0.getTime() + 60_000) });
        await expect(store.throttle.failures(key, new Date(t0.getTime() + 60_000))).resolves.toBeUndefined();
        await store.throttle.recordFailure(key, 60_000, new Date(t0.getTime() + 60_001));
        await expect(store.throttle.failures(key, new Date(t0.getTime() + 60_002))).resolves.toEqual({ count: 1, windowEndsAt: new Date(t0.getTime() + 120_001) });
      });

      it('keep fixed-window counters: below their maximum as part of a change, and on their own', async () => {
        const key = `contract#${randomUUID()}`;
        const later = new Date(Date.now() + 60_000);
        const full = () => new Error('full');
        await store.commit(store.throttle.countWithin(key, 2, later, full));
        await store.commit(store.throttle.countWithin(key, 2, later, full));
        const flow = flowRecord();
        await store.flows.create(flow);
        await expect(store.commit(store.flows.complete(flow.id, new Date()), store.throttle.countWithin(key, 2, later, full))).rejects.toThrow('full');
        await expect(store.flows.get(flow.id)).resolves.toMatchObject({ state: 'choose_method' });
        await expect(store.throttle.count(key)).resolves.toBe(2);
        await store.throttle.increment(key, later);
        await expect(store.throttle.count(key)).resolves.toBe(3);
        await expect(store.throttle.count(`contract#${randomUUID()}`)).resolves.toBe(0);
      });
    });

    describe('commits', () => {
      it('refuse two writes of one item, and writes another store prepared', async () => {
        const flow = flowRecord();
        await store.flows.create(flow);
        await expect(store.commit(store.flows.complete(flow.id, new Date()), store.flows.complete(flow.id, new Date()))).rejects.toThrow();
        await expect(store.flows.get(flow.id)).resolves.toMatchObject({ state: 'choose_method' });
        await expect(store.commit({} as never)).rejects.toThrow();
      });

      it('keep self-service errors for the error UI', async () => {
        const id = randomUUID();
        const at = new Date();
        await store.errors.create({ id, error: { code: 400, message: 'no' }, createdAt: at, expiresAt: new Date(at.getTime() + HOUR) });
        await expect(store.errors.get(id)).resolves.toEqual({ id, error: { code: 400, message: 'no' }, createdAt: at, expiresAt: new Date(at.getTime() + HOUR) });
        await expect(store.errors.get(randomUUID())).resolves.toBeUndefined();
      });
    });
  });
}
