/** The login flow's branches, in-process on the memory store. */
import { randomUUID } from 'node:crypto';
import { newCsrfToken } from '../../lib/flows/csrf.js';
import { apiRequest, browserRequest, flowOf, login, memoryApp, messageIds, PASSWORD, register, rejection, uniqueEmail } from '../support/flows.js';

describe('login', () => {
  const { app, store } = memoryApp({ SELFSERVICE_FLOWS_LOGIN_THROTTLE_MAX_ATTEMPTS: '3' });

  it('signs in with the password method: a session token, one password factor at aal1, the flow used up', async () => {
    const { email, identityId } = await register(app);
    const flow = await app.login.init(apiRequest(), { refresh: false }, new Date());
    expect(flow.ui.nodes.map((n) => `${n.group}/${n.attributes.name}`)).toEqual(['default/csrf_token', 'default/identifier', 'password/password', 'password/method']);
    const answer = await app.login.submit(flow.id, { method: 'password', identifier: email.toUpperCase(), password: PASSWORD }, apiRequest(), new Date());
    const body = answer.body as { session_token: string; session: Record<string, unknown> };
    expect(body.session).toMatchObject({ identity: { id: identityId }, authenticator_assurance_level: 'aal1', authentication_methods: [{ method: 'password', aal: 'aal1' }] });
    await expect(app.sessionService.whoami(body.session_token, new Date())).resolves.toMatchObject({ identityId });
    expect((await store.flows.get(flow.id))?.state).toBe('passed_challenge');
    const again = await rejection(app.login.submit(flow.id, { method: 'password', identifier: email, password: PASSWORD }, apiRequest(), new Date()));
    expect(messageIds(flowOf(again))).toEqual([4010007]);
  });

  it('answers a wrong password and an unknown identifier alike (4000006), echoing the identifier but never the password', async () => {
    const { email } = await register(app);
    const wrong = await rejection(login(app, email, 'not the password at all'));
    const unknown = await rejection(login(app, uniqueEmail('nobody'), 'not the password at all'));
    for (const failure of [wrong, unknown]) {
      expect(failure.name).toBe('FlowValidationError');
      expect(messageIds(flowOf(failure))).toEqual([4000006]);
      expect(JSON.stringify(flowOf(failure))).not.toContain('not the password');
    }
    expect(flowOf(wrong).ui.nodes.find((n) => n.attributes.name === 'identifier')?.attributes.value).toBe(email);
  });

  it('names missing fields on their nodes, and an unknown or disabled method on the flow (4010002)', async () => {
    const flow = await app.login.init(apiRequest(), { refresh: false }, new Date());
    const missing = await rejection(app.login.submit(flow.id, { method: 'password' }, apiRequest(), new Date()));
    expect(messageIds(flowOf(missing))).toEqual(['identifier:4000002', 'password:4000002']);
    const unknown = await rejection(app.login.submit(flow.id, { method: 'carrier-pigeon', identifier: 'a@b.c' }, apiRequest(), new Date()));
    expect(messageIds(flowOf(unknown))).toEqual([4010002]);
    const off = memoryApp({ SELFSERVICE_METHODS_PASSWORD_ENABLED: 'false' }).app;
    const offFlow = await off.login.init(apiRequest(), { refresh: false }, new Date());
    expect(offFlow.ui.nodes.map((n) => n.attributes.name)).toEqual(['csrf_token']);
    const refused = await rejection(off.login.submit(offFlow.id, { method: 'password', identifier: 'a@b.c', password: PASSWORD }, apiRequest(), new Date()));
    expect(messageIds(flowOf(refused))).toEqual([4010002]);
  });

  it('refuses what is not a submittable flow: malformed id 400, unknown 404, another kind 404, expired 410 with a replacement', async () => {
    await expect(rejection(app.login.submit('nope', { method: 'password' }, apiRequest(), new Date()))).resolves.toMatchObject({ status: 400 });
    await expect(rejection(app.login.submit(randomUUID(), { method: 'password' }, apiRequest(), new Date()))).resolves.toMatchObject({ status: 404 });
    const registration = await app.registration.init(apiRequest(), new Date());
    await expect(rejection(app.login.submit(registration.id, { method: 'password' }, apiRequest(), new Date()))).resolves.toMatchObject({ status: 404 });
    const flow = await app.login.init(apiRequest(), { refresh: false }, new Date());
    const expired = await rejection(app.login.submit(flow.id, { method: 'password' }, apiRequest(), new Date(Date.now() + 2 * 3600_000)));
    expect(expired).toMatchObject({ status: 410, name: 'FlowExpiredError' });
    const replacement = await store.flows.get(expired.useFlowId as string);
    expect(replacement?.messages?.map((m) => m.id)).toEqual([4010001]);
  });

  it("guards native flows against browsers (Origin, cookies) and browser flows against CSRF", async () => {
    const flow = await app.login.init(apiRequest(), { refresh: false }, new Date());
    for (const request of [apiRequest({ origin: 'https://evil.example' }), apiRequest({ hasCookie: true })]) {
      const refused = await rejection(app.login.submit(flow.id, { method: 'password', identifier: 'a@b.c', password: PASSWORD }, request, new Date()));
      expect(messageIds(flowOf(refused))).toEqual([4000001]);
    }
    const cookie = newCsrfToken();
    const started = await app.login.initBrowser(browserRequest(cookie, { json: true }), { refresh: false }, new Date());
    const browserFlow = started.body as { id: string; ui: { nodes: { attributes: { name: string; value?: unknown } }[] } };
    const token = browserFlow.ui.nodes.find((n) => n.attributes.name === 'csrf_token')!.attributes.value as string;
    const forged = await rejection(app.login.submit(browserFlow.id, { method: 'password', csrf_token: token }, browserRequest(newCsrfToken(), { json: true }), new Date()));
    expect(forged).toMatchObject({ status: 403, name: 'CsrfViolationError' });
    // A form post that fails its CSRF check is sent to the error UI, the error stored for it.
    const post = await app.login.submit(browserFlow.id, { method: 'password', csrf_token: 'garbage' }, browserRequest(cookie), new Date());
    expect(post.status).toBe(303);
    expect(post.location).toMatch(/\/ui\/error\?id=/);
  });

  it('refuses a disabled identity after the right password (401), and an identity that changed since it was read', async () => {
    const { email, identityId } = await register(app);
    const stored = (await store.identities.getWithCredentials(identityId))!;
    await app.identityAdmin.replace(identityId, { schema_id: 'default', traits: stored.traits, state: 'inactive' }, new Date());
    await expect(rejection(login(app, email))).resolves.toMatchObject({ status: 401, name: 'IdentityDisabledError' });

    // A login that read the identity's copy just before a change of it issues no session for the stale copy.
    const { email: changing, identityId: changingId } = await register(app);
    const read = store.passwords.flowWithCredential;
    store.passwords.flowWithCredential = async (flowId, identifier) => {
      const found = await read(flowId, identifier);
      const current = (await store.identities.getWithCredentials(changingId))!;
      await app.identityAdmin.replace(changingId, { schema_id: 'default', traits: current.traits, state: 'active', metadata_public: { changed: true } }, new Date());
      return found;
    };
    try {
      await expect(rejection(login(app, changing))).resolves.toMatchObject({ status: 409, name: 'ConcurrentUpdateError' });
    } finally {
      store.passwords.flowWithCredential = read;
    }
    expect((await login(app, changing)).status).toBe(200);
  });

  it('tells a signed-in caller so, lets a refresh through with the identifier kept, and rotates CSRF for another identity', async () => {
    const { email, token } = await register(app);
    await expect(app.login.init(apiRequest({ sessionToken: token }), { refresh: false }, new Date())).rejects.toMatchObject({ status: 400, id: 'session_already_available' });
    const refresh = await app.login.init(apiRequest({ sessionToken: token }), { refresh: true }, new Date());
    expect(refresh.ui.nodes.find((n) => n.attributes.name === 'identifier')?.attributes).toMatchObject({ type: 'hidden', value: email });
    const answer = await app.login.submit(refresh.id, { method: 'password', identifier: email, password: PASSWORD }, apiRequest({ sessionToken: token }), new Date());
    expect(answer.status).toBe(200);

    const other = await register(app);
    const cookie = newCsrfToken();
    const started = await app.login.initBrowser(browserRequest(cookie, { sessionToken: token }), { refresh: true }, new Date());
    const flowId = new URL(started.location!).searchParams.get('flow')!;
    const switched = await app.login.submit(flowId, { method: 'password', identifier: other.email, password: PASSWORD, csrf_token: cookie }, browserRequest(cookie, { sessionToken: token }), new Date());
    expect(switched).toMatchObject({ status: 303, session: expect.any(Object), csrfToken: expect.any(String) });
    expect(switched.csrfToken).not.toBe(cookie);
  });

  it('throttles guessing per identifier (known or not), and a success clears the count', async () => {
    const { email } = await register(app);
    for (let i = 0; i < 2; i++) await rejection(login(app, email, 'wrong password number ' + i));
    expect((await login(app, email)).status).toBe(200); // the third attempt, right: the count starts over
    for (let i = 0; i < 3; i++) await rejection(login(app, email, 'wrong password again ' + i));
    await expect(rejection(login(app, email))).resolves.toMatchObject({ status: 429, name: 'LoginThrottledError' });
    const nobody = uniqueEmail('nobody');
    for (let i = 0; i < 3; i++) await rejection(login(app, nobody, 'guess ' + i));
    await expect(rejection(login(app, nobody, 'guess 4'))).resolves.toMatchObject({ status: 429 });
  });

  it('answers a browser form post with redirects: the session cookie and return_to on success, the form again on failure', async () => {
    const { email } = await register(app);
    const cookie = newCsrfToken();
    const started = await app.login.initBrowser(browserRequest(cookie), { refresh: false, returnTo: 'http://127.0.0.1:4433/ui/settings' }, new Date());
    expect(started.status).toBe(303);
    const flowId = new URL(started.location!).searchParams.get('flow')!;
    const wrong = await app.login.submit(flowId, { method: 'password', identifier: email, password: 'wrong wrong wrong', csrf_token: cookie }, browserRequest(cookie), new Date());
    expect(wrong).toMatchObject({ status: 303, location: `http://127.0.0.1:4433/ui/login?flow=${flowId}` });
    expect((await store.flows.get(flowId))?.ui?.messages.map((m) => m.id)).toEqual([4000006]);
    const right = await app.login.submit(flowId, { method: 'password', identifier: email, password: PASSWORD, csrf_token: cookie }, browserRequest(cookie), new Date());
    expect(right).toMatchObject({ status: 303, location: 'http://127.0.0.1:4433/ui/settings', session: { token: expect.stringMatching(/^ory_st_/) } });
  });
});

describe('the anti-CSRF token with a new session', () => {
  it('rotates when a browser signs in or signs up, not when it refreshes its own session; a verification flow follows the new one', async () => {
    const { app } = memoryApp();
    const cookie = newCsrfToken();
    const started = await app.registration.initBrowser(browserRequest(cookie), undefined, new Date());
    const flowId = new URL(started.location!).searchParams.get('flow')!;
    const email = uniqueEmail('rotate');
    const signedUp = await app.registration.submit(flowId, { method: 'password', password: PASSWORD, traits: { email }, csrf_token: cookie }, browserRequest(cookie), new Date());
    expect(signedUp.csrfToken).toEqual(expect.any(String));
    expect(signedUp.csrfToken).not.toBe(cookie);
    const rotated = signedUp.csrfToken!;
    // The verification flow registration started is this browser's under its new cookie.
    const verificationId = new URL(signedUp.location!).searchParams.get('flow')!;
    await expect(app.verification.get(verificationId, browserRequest(rotated), new Date())).resolves.toMatchObject({ id: verificationId });
    await expect(rejection(app.verification.get(verificationId, browserRequest(cookie), new Date()))).resolves.toMatchObject({ status: 403 });

    const login = async (csrf: string, sessionToken?: string, refresh = false) => {
      const init = await app.login.initBrowser(browserRequest(csrf, { sessionToken }), { refresh }, new Date());
      const id = new URL(init.location!).searchParams.get('flow')!;
      return app.login.submit(id, { method: 'password', identifier: email, password: PASSWORD, csrf_token: csrf }, browserRequest(csrf, { sessionToken }), new Date());
    };
    const fresh = newCsrfToken();
    const signedIn = await login(fresh);
    expect(signedIn.csrfToken).toEqual(expect.any(String));
    expect(signedIn.csrfToken).not.toBe(fresh);
    const refreshed = await login(signedIn.csrfToken!, signedIn.session!.token, true);
    expect(refreshed.status).toBe(303);
    expect(refreshed.csrfToken).toBeUndefined();
  });
});

describe('imported password hashes', () => {
  // A PBKDF2-SHA256 hash of "test" (a vector of Kratos's hash/hasher_test.go, Apache-2.0) and an SSHA one of "test123".
  const PBKDF2 = '$pbkdf2-sha256$i=100000,l=32$1jP+5Zxpxgtee/iPxGgOz0RfE9/KJuDElP1ley4VxXc$QJxzfvdbHYBpydCbHoFg3GJEqMFULwskiuqiJctoYpI';
  const SSHA = '{SSHA}JFZFs0oHzxbMwkSJmYVeI8MnTDy/276a';
  // crypt(3) hashes of "test" and "ory" under Kratos's names (same source).
  const MD5_CRYPT = '$md5-crypt$TVEiiKNb$SN6/pUaRQS/E8Jh46As2C/';
  const SHA512_CRYPT = '$sha512-crypt$rounds=656000$0baQbxBrfpKqvizk$Q9cYk1MeNAlECPgpG3jjfNI2DumLqd0yHbxzLdxiX6nsSD5i9n0awcbiCf8R5DzpIYxeBPznPcb1wtzlgUKtH0';

  it('are imported, checked at the first login, and replaced with bcrypt in that login', async () => {
    const { app, store } = memoryApp();
    for (const [hash, password] of [[PBKDF2, 'test'], [SSHA, 'test123'], [MD5_CRYPT, 'test'], [SHA512_CRYPT, 'ory']]) {
      const email = uniqueEmail('imported');
      const identity = await app.identityAdmin.create({ schema_id: 'default', traits: { email }, credentials: { password: { config: { hashed_password: hash } } } }, new Date());
      expect((await rejection(login(app, email, `${password}-wrong`))).name).toBe('FlowValidationError');
      expect((await store.identities.getWithCredentials(identity.id))?.password?.hashedPassword).toBe(hash);
      expect((await login(app, email, password)).status).toBe(200);
      const rehashed = (await store.identities.getWithCredentials(identity.id))?.password?.hashedPassword;
      expect(rehashed).toMatch(/^\$2[aby]\$04\$/);
      // The identifier's claim carries the new hash too: the next login is bcrypt's.
      expect((await login(app, email, password)).status).toBe(200);
    }
  });

  it('refuses at import a hash out of bounds or of a format not read here', async () => {
    const { app } = memoryApp();
    for (const hash of ['$argon2id$v=19$m=2097152,t=2,p=4$cm94YnRVOW5jZzFzcVE4bQ$MNzk5BtR2vUhrp6qQEjRNw', '$md5-crypt$whuMjZj.HMFoaTaZRRtkO0', 'plaintext']) {
      const error = await rejection(app.identityAdmin.create({ schema_id: 'default', traits: { email: uniqueEmail('bad-hash') }, credentials: { password: { config: { hashed_password: hash } } } }, new Date()));
      expect(error).toMatchObject({ status: 400 });
    }
  });
});
