/**
 * End to end through serverless-offline with the official SDK, as a Kratos client would use it.
 * Every body is checked against Kratos's OpenAPI spec.
 */
import { createDynamoClient } from '../../lib/store/dynamodb/client.js';
import { createDynamoStore } from '../../lib/store/dynamodb/store.js';
import { dynamoEndpoint, TEST_ENV } from '../support/env.js';
import { failure, frontendApi, GOOD_PASSWORD, messageIds, nodeMessages, request, uniqueEmail } from '../support/http.js';
import { expectMatchesSchema } from '../support/openapi.js';

const api = frontendApi();

async function register(email: string, password = GOOD_PASSWORD) {
  const { data: flow } = await api.createNativeRegistrationFlow();
  return api.updateRegistrationFlow({
    flow: flow.id,
    updateRegistrationFlowBody: { method: 'password', password, traits: { email } },
  });
}

async function registrationFailure(traits: Record<string, unknown>, password: string | undefined) {
  const { data: flow } = await api.createNativeRegistrationFlow();
  const result = await failure(
    api.updateRegistrationFlow({
      flow: flow.id,
      updateRegistrationFlowBody: { method: 'password', password: password as string, traits },
    }),
  );
  expect(result.status).toBe(400);
  expectMatchesSchema('registrationFlow', result.data);
  expect(result.data.id).toBe(flow.id);
  return result.data;
}

async function loginFailure(identifier: string, password: string) {
  const { data: flow } = await api.createNativeLoginFlow();
  const result = await failure(
    api.updateLoginFlow({ flow: flow.id, updateLoginFlowBody: { method: 'password', identifier, password } }),
  );
  expect(result.status).toBe(400);
  expectMatchesSchema('loginFlow', result.data);
  return result.data;
}

describe('register, whoami, logout, login with @ory/kratos-client', () => {
  it('completes the whole journey with Kratos-shaped answers', async () => {
    const email = uniqueEmail('journey');

    const { data: regFlow, headers: regFlowHeaders } = await api.createNativeRegistrationFlow();
    expectMatchesSchema('registrationFlow', regFlow);
    expect(regFlowHeaders['cache-control']).toBe('private, no-cache, no-store, must-revalidate');
    expect(regFlow.ui.action).toBe(`${process.env.TEST_BASE_URL}/self-service/registration?flow=${regFlow.id}`);
    // Kratos's default style, profile first: the traits, then the credential. A client that sends traits and password
    // at once (below) registers all the same, as with Kratos.
    expect(regFlow.ui.nodes.map((n) => (n.attributes as { name: string }).name)).toEqual(['csrf_token', 'traits.email', 'traits.name.first', 'traits.name.last', 'method']);

    const { data: fetched } = await api.getRegistrationFlow({ id: regFlow.id });
    expectMatchesSchema('registrationFlow', fetched);
    expect(fetched.id).toBe(regFlow.id);

    const { data: registered } = await api.updateRegistrationFlow({
      flow: regFlow.id,
      updateRegistrationFlowBody: { method: 'password', password: GOOD_PASSWORD, traits: { email } },
    });
    expectMatchesSchema('successfulNativeRegistration', registered);
    expect(registered.session_token).toMatch(/^ory_st_[A-Za-z0-9]{32}$/);
    expect(registered.identity!.traits).toEqual({ email });
    expect(registered.session!.identity!.id).toBe(registered.identity!.id);
    // The suite's stack runs with verification on: registration sends a code and says where to enter it.
    expect(registered.continue_with).toEqual([
      { action: 'set_ory_session_token', ory_session_token: registered.session_token },
      { action: 'show_verification_ui', flow: { id: expect.any(String), verifiable_address: email } },
    ]);

    const whoami = await api.toSession({ xSessionToken: registered.session_token });
    expectMatchesSchema('session', whoami.data);
    expect(whoami.data.id).toBe(registered.session!.id);
    expect(whoami.data.active).toBe(true);
    expect(whoami.headers['x-kratos-authenticated-identity-id']).toBe(registered.identity!.id);

    const logout = await api.performNativeLogout({ performNativeLogoutBody: { session_token: registered.session_token! } });
    expect(logout.status).toBe(204);

    const afterLogout = await failure(api.toSession({ xSessionToken: registered.session_token }));
    expect(afterLogout.status).toBe(401);
    expectMatchesSchema('errorGeneric', afterLogout.data);
    expect(afterLogout.data).toEqual({
      error: {
        code: 401,
        status: 'Unauthorized',
        reason: 'No valid session credentials found in the request.',
        message: 'The request could not be authorized',
      },
    });

    const { data: loginFlow } = await api.createNativeLoginFlow();
    expectMatchesSchema('loginFlow', loginFlow);
    const { data: gotLogin } = await api.getLoginFlow({ id: loginFlow.id });
    expectMatchesSchema('loginFlow', gotLogin);
    // Another letter case and stray spaces name the same account.
    const { data: loggedIn } = await api.updateLoginFlow({
      flow: loginFlow.id,
      updateLoginFlowBody: { method: 'password', identifier: `  ${email.toUpperCase()} `, password: GOOD_PASSWORD },
    });
    expectMatchesSchema('successfulNativeLogin', loggedIn);
    expect(loggedIn.session.identity!.id).toBe(registered.identity!.id);

    // Authorization: Bearer works like X-Session-Token.
    const bearer = await request('GET', '/sessions/whoami', { headers: { Authorization: `Bearer ${loggedIn.session_token}` } });
    expect(bearer.status).toBe(200);
    expect(bearer.json.id).toBe(loggedIn.session.id);
  });
});

describe('registration failures answer with the flow and Kratos message ids', () => {
  it('refuses an identifier registered in another letter case (4000007)', async () => {
    const email = uniqueEmail('dup');
    await register(email);
    const flow = await registrationFailure({ email: email.toUpperCase() }, GOOD_PASSWORD);
    expect(messageIds(flow)).toEqual([4000007]);
    // Submitted traits are echoed back; the password never is.
    const emailNode = flow.ui.nodes.find((n: any) => n.attributes.name === 'traits.email');
    expect(emailNode.attributes.value).toBe(email.toUpperCase());
    expect(JSON.stringify(flow)).not.toContain(GOOD_PASSWORD);
  });

  it('refuses a short password (4000032, in bytes)', async () => {
    const flow = await registrationFailure({ email: uniqueEmail() }, 'short');
    expect(nodeMessages(flow, 'password')).toEqual([
      {
        id: 4000032,
        text: 'The password must be at least 8 characters long, but got 5.',
        type: 'error',
        context: { min_length: 8, actual_length: 5 },
      },
    ]);
  });

  it('refuses a password over 72 bytes instead of truncating it (4000033)', async () => {
    const password = 'é'.repeat(40); // 40 characters, 80 bytes
    const flow = await registrationFailure({ email: uniqueEmail() }, password);
    expect(nodeMessages(flow, 'password').map((m: any) => [m.id, m.context])).toEqual([
      [4000033, { max_length: 72, actual_length: 80 }],
    ]);
  });

  it('refuses a password too similar to the identifier (4000031)', async () => {
    const email = uniqueEmail('similar');
    const flow = await registrationFailure({ email }, email.toUpperCase());
    expect(nodeMessages(flow, 'password').map((m: any) => m.id)).toEqual([4000031]);
  });

  it('names the missing e-mail on its node (4000002)', async () => {
    const flow = await registrationFailure({}, GOOD_PASSWORD);
    expect(nodeMessages(flow, 'traits.email')).toEqual([
      { id: 4000002, text: 'Property email is missing.', type: 'error', context: { property: 'email' } },
    ]);
  });

  it('names a missing password on its node (4000002)', async () => {
    const flow = await registrationFailure({ email: uniqueEmail() }, undefined);
    expect(nodeMessages(flow, 'password').map((m: any) => [m.id, m.text])).toEqual([[4000002, 'Property password is missing.']]);
  });

  it('accepts a form-encoded submit with dotted trait keys', async () => {
    const { data: flow } = await api.createNativeRegistrationFlow();
    const email = uniqueEmail('form');
    const res = await request('POST', `/self-service/registration?flow=${flow.id}`, {
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ method: 'password', password: GOOD_PASSWORD, 'traits.email': email }).toString(),
    });
    expect(res.status).toBe(200);
    expectMatchesSchema('successfulNativeRegistration', res.json);
    expect(res.json.identity.traits).toEqual({ email });
  });
});

describe('login failures', () => {
  it('answers a wrong password and an unknown identifier alike (4000006)', async () => {
    const email = uniqueEmail('login');
    await register(email);
    const wrong = await loginFailure(email, 'not the right password');
    const unknown = await loginFailure(uniqueEmail('nobody'), 'not the right password');
    const expected = [
      {
        id: 4000006,
        text: 'The provided credentials are invalid, check for spelling mistakes in your password or username, email address, or phone number.',
        type: 'error',
      },
    ];
    expect(wrong.ui.messages).toEqual(expected);
    expect(unknown.ui.messages).toEqual(expected);
    // The identifier is echoed back, the password never.
    expect(wrong.ui.nodes.find((n: any) => n.attributes.name === 'identifier').attributes.value).toBe(email);
    expect(wrong.ui.nodes.find((n: any) => n.attributes.name === 'password').attributes.value).toBeUndefined();
  });
});

describe('flow lookup errors', () => {
  it('answers 404 for an unknown flow id, on get and on submit', async () => {
    const id = '00000000-0000-4000-8000-000000000000';
    const get = await failure(api.getLoginFlow({ id }));
    expect(get.status).toBe(404);
    expectMatchesSchema('errorGeneric', get.data);
    expect(get.data.error).toMatchObject({ code: 404, status: 'Not Found', message: 'The requested resource could not be found' });
    const submit = await failure(
      api.updateLoginFlow({ flow: id, updateLoginFlowBody: { method: 'password', identifier: 'a@b.co', password: 'whatever1' } }),
    );
    expect(submit.status).toBe(404);
    expectMatchesSchema('errorGeneric', submit.data);
  });

  it('answers a submit 400 when the flow parameter is missing or malformed, and a read 404 (as Kratos: no such flow)', async () => {
    for (const path of ['/self-service/registration', '/self-service/login?flow=not-a-uuid']) {
      const res = await request('POST', path, {
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ method: 'password' }),
      });
      expect(res.status).toBe(400);
      expectMatchesSchema('errorGeneric', res.json);
      expect(res.json).toEqual({
        error: {
          code: 400,
          status: 'Bad Request',
          reason: 'The flow query parameter is missing or malformed.',
          message: 'The request was malformed or contained invalid parameters',
        },
      });
    }
    for (const path of ['/self-service/login/flows', '/self-service/registration/flows?id=garbage']) {
      const get = await request('GET', path);
      expect(get.status).toBe(404);
      expectMatchesSchema('errorGeneric', get.json);
    }
  });

  describe('an expired flow, still stored because DynamoDB has not yet deleted it', () => {
    const client = createDynamoClient({ endpoint: dynamoEndpoint(), tableName: TEST_ENV.DYNAMODB_TABLE_NAME, region: 'us-east-1' });
    const store = createDynamoStore(client, TEST_ENV.DYNAMODB_TABLE_NAME);
    afterAll(() => client.destroy());

    async function expiredFlow(type: 'login' | 'registration') {
      const id = crypto.randomUUID();
      const issuedAt = new Date(Date.now() - 2 * 3600_000);
      await store.flows.create({
        id,
        type,
        mode: 'api',
        state: 'choose_method',
        requestUrl: `${process.env.TEST_BASE_URL}/self-service/${type}/api`,
        issuedAt,
        expiresAt: new Date(issuedAt.getTime() + 3600_000),
      });
      return id;
    }

    it('answers 410 on submit, pointing at a new flow that says why', async () => {
      const id = await expiredFlow('registration');
      const res = await failure(
        api.updateRegistrationFlow({
          flow: id,
          updateRegistrationFlowBody: { method: 'password', password: GOOD_PASSWORD, traits: { email: uniqueEmail() } },
        }),
      );
      expect(res.status).toBe(410);
      expectMatchesSchema('errorGeneric', res.data);
      expect(res.data.error).toMatchObject({ id: 'self_service_flow_expired', code: 410, status: 'Gone', message: 'self-service flow expired' });
      expect(res.data.error.reason).toMatch(/^The self-service flow expired 60\.\d\d minutes ago, initialize a new one\.$/);
      expect(res.data.since).toBeGreaterThan(3600e9);
      const { data: replacement } = await api.getRegistrationFlow({ id: res.data.use_flow_id });
      expect(replacement.id).not.toBe(id);
      expect(replacement.ui.messages?.map((m) => m.id)).toEqual([4040001]);
    });

    it('answers 410 on get, with the init endpoint in details.api', async () => {
      const id = await expiredFlow('login');
      const res = await failure(api.getLoginFlow({ id }));
      expect(res.status).toBe(410);
      expectMatchesSchema('errorGeneric', res.data);
      expect(res.data.error.details).toEqual({ api: `${process.env.TEST_BASE_URL}/self-service/login/api` });
    });
  });
});

describe('sessions and the HTTP conventions', () => {
  it('refuses to start a flow beside a valid session, unless login asks for refresh', async () => {
    const { data } = await register(uniqueEmail('already'));
    const reg = await request('GET', '/self-service/registration/api', { headers: { 'X-Session-Token': data.session_token! } });
    expect(reg.status).toBe(400);
    expect(reg.json.error.id).toBe('session_already_available');
    const login = await failure(api.createNativeLoginFlow({ xSessionToken: data.session_token }));
    expect(login.status).toBe(400);
    expect(login.data.error.id).toBe('session_already_available');
    const refresh = await api.createNativeLoginFlow({ xSessionToken: data.session_token, refresh: true });
    expect(refresh.data.refresh).toBe(true);
  });

  it('refuses to log out an unknown token (403) and a malformed body (400)', async () => {
    const unknown = await failure(api.performNativeLogout({ performNativeLogoutBody: { session_token: 'ory_st_unknown' } }));
    expect(unknown.status).toBe(403);
    expect(unknown.data.error.reason).toBe('The provided Ory Session Token could not be found, is invalid, or otherwise malformed.');
    const malformed = await request('DELETE', '/self-service/logout/api', { headers: { 'Content-Type': 'application/json' }, body: '{"session_token":' });
    expect(malformed.status).toBe(400);
    expectMatchesSchema('errorGeneric', malformed.json);
  });

  it('echoes X-Request-ID into the header and the error envelope', async () => {
    const res = await request('GET', '/sessions/whoami', { headers: { 'X-Request-ID': 'req-123' } });
    expect(res.status).toBe(401);
    expect(res.headers.get('x-request-id')).toBe('req-123');
    expect(res.json.error.request).toBe('req-123');
  });

  it('refuses an API flow submit that carries an Origin header (CSRF guard)', async () => {
    const { data: flow } = await api.createNativeLoginFlow();
    const res = await request('POST', `/self-service/login?flow=${flow.id}`, {
      headers: { 'Content-Type': 'application/json', Origin: 'https://evil.example' },
      body: JSON.stringify({ method: 'password', identifier: 'a@b.co', password: 'whatever1' }),
    });
    expect(res.status).toBe(400);
    expectMatchesSchema('loginFlow', res.json);
    expect(res.json.ui.messages[0].id).toBe(4000001);
    expect(res.json.ui.messages[0].text).toContain('"Origin" key');
  });

  it('answers the health checks', async () => {
    expect((await request('GET', '/health/alive')).json).toEqual({ status: 'ok' });
    expect((await request('GET', '/health/ready')).json).toEqual({ status: 'ok' });
  });
});
