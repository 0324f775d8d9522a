/**
 * Second factors and assurance levels in-process: a TOTP set up in settings and a code computed from what the flow
 * shows (as an authenticator app reads the QR code's URL), lookup codes, the aal2 login that steps a session up, and
 * Kratos's `highest_available` refusals of whoami and settings.
 */
import * as OTPAuth from 'otpauth';
import { FlowValidationError } from '../../lib/errors/index.js';
import type { FlowView, UiNode } from '../../lib/flows/model.js';
import { apiRequest, browserRequest, flowOf, login, memoryApp, messageIds, PASSWORD, register, rejection, type MemoryApp } from '../support/flows.js';

const FACTORS = { SELFSERVICE_METHODS_TOTP_ENABLED: 'true', SELFSERVICE_METHODS_LOOKUP_SECRET_ENABLED: 'true' };
const STEP_MS = 30_000;

const node = (flow: FlowView, name: string): UiNode | undefined =>
  flow.ui.nodes.find((n) => (n.attributes as { name?: string; id?: string }).name === name || (n.attributes as { id?: string }).id === name);

/** What an authenticator app computes at `at` from the secret the settings flow shows. */
function appCode(flow: FlowView, at: Date): string {
  const secret = (node(flow, 'totp_secret_key')!.attributes as unknown as { text: { text: string } }).text.text;
  return new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30 }).generate({ timestamp: at.getTime() });
}

/** Sets a TOTP up for the session of `token`; the secret's flow (to compute codes) and when it was confirmed. */
async function enrolTotp(app: MemoryApp['app'], token: string, at = new Date()) {
  const request = apiRequest({ sessionToken: token });
  const flow = await app.settings.init(request, at);
  const answer = await app.settings.submit(flow.id, { method: 'totp', totp_code: appCode(flow, at) }, request, at);
  return { flow, answer };
}

/** A login for the second factor beside the session of `token`, and its submit. */
async function secondFactor(app: MemoryApp['app'], token: string, body: Record<string, unknown>, at = new Date()) {
  const request = apiRequest({ sessionToken: token });
  const flow = await app.login.init(request, { refresh: false, aal: 'aal2' }, at);
  return { flow, submit: () => app.login.submit(flow.id, body, request, at) };
}

describe('TOTP', () => {
  it('is offered in settings as Kratos shows it, confirmed with a code from the QR code, and makes the session aal2', async () => {
    const { app } = memoryApp(FACTORS);
    const { token, identityId } = await register(app);
    const request = apiRequest({ sessionToken: token });
    const flow = await app.settings.init(request, new Date());
    const qr = node(flow, 'totp_qr')!;
    expect(qr.type).toBe('img');
    expect((qr.attributes as unknown as { src: string }).src).toMatch(/^data:image\/png;base64,/);
    expect(qr.meta.label?.id).toBe(1050005);
    const secret = node(flow, 'totp_secret_key')!;
    expect((secret.attributes as unknown as { text: { id: number; text: string } }).text).toMatchObject({ id: 1050006, text: expect.stringMatching(/^[A-Z2-7]{32}$/) });
    expect(node(flow, 'totp_code')?.meta.label?.id).toBe(1070006);

    // A wrong code is refused on its node; nothing changes.
    const wrong = await rejection(app.settings.submit(flow.id, { method: 'totp', totp_code: '000000' === appCode(flow, new Date()) ? '111111' : '000000' }, request, new Date()));
    expect(messageIds(flowOf(wrong))).toContain('totp_code:4000008');

    const at = new Date();
    const answer = await app.settings.submit(flow.id, { method: 'totp', totp_code: appCode(flow, at) }, request, at);
    expect(answer.status).toBe(200);
    // Set up: the form now offers to unlink it, and the session holds the second factor.
    expect(node(flowOf(answer), 'totp_unlink')?.meta.label?.id).toBe(1050004);
    expect(node(flowOf(answer), 'totp_qr')).toBeUndefined();
    const session = await app.sessionService.whoami(token, new Date());
    expect(session.amr.map((m) => `${m.method}:${m.aal}`)).toEqual(['password:aal1', 'totp:aal2']);
    const stored = await app.store.identities.getWithCredentials(identityId);
    expect(stored?.factors?.totp?.config.totp_url).toMatch(/^otpauth:\/\/totp\/127\.0\.0\.1:[0-9a-f-]{36}\?algorithm=SHA1&digits=6&issuer=127\.0\.0\.1&period=30&secret=[A-Z2-7]{32}$/);
  });

  it('is asked for after a password, steps the session up in place, and takes each code once', async () => {
    const { app } = memoryApp(FACTORS);
    const { token, email } = await register(app);
    const { flow: enrolled } = await enrolTotp(app, token, new Date(Date.now() - 3 * STEP_MS));

    // A password alone: the session is issued, without the identity (Kratos's API answer), and whoami wants aal2.
    const first = await login(app, email);
    const body = first.body as { session_token: string; session: Record<string, unknown> };
    expect(body.session.identity).toBeUndefined();
    expect(body.session.authenticator_assurance_level).toBe('aal1');
    const refused = await rejection(app.sessionService.whoami(body.session_token, new Date()));
    expect(refused).toMatchObject({ status: 403, id: 'session_aal2_required' });
    expect(new URL(refused.redirectBrowserTo as string).searchParams.get('aal')).toBe('aal2');

    // The second factor's form: its nodes only, with Kratos's message.
    const at = new Date();
    const { flow, submit } = await secondFactor(app, body.session_token, { method: 'totp', totp_code: appCode(enrolled, at) }, at);
    expect(flow.requested_aal).toBe('aal2');
    expect(flow.ui.nodes.map((n) => (n.attributes as { name?: string }).name)).toEqual(['csrf_token', 'totp_code', 'method']);
    expect(flow.ui.messages?.map((m) => m.id)).toEqual([1010004]);
    const wrong = await rejection(app.login.submit(flow.id, { method: 'totp', totp_code: '12345' }, apiRequest({ sessionToken: body.session_token }), at));
    expect(messageIds(flowOf(wrong))).toContain(4000008);

    const answer = await submit();
    const stepped = answer.body as { session_token: string; session: { id: string; authenticator_assurance_level: string; identity?: unknown } };
    expect(stepped.session.id).toBe((body.session as { id: string }).id);
    expect(stepped.session_token).toBe(body.session_token);
    expect(stepped.session.authenticator_assurance_level).toBe('aal2');
    expect(stepped.session.identity).toBeDefined();
    await expect(app.sessionService.whoami(body.session_token, new Date())).resolves.toMatchObject({ id: (body.session as { id: string }).id });

    // The same code again, for another session: refused (one use per code).
    const again = (await login(app, email)).body as { session_token: string };
    const replay = await secondFactor(app, again.session_token, { method: 'totp', totp_code: appCode(enrolled, at) }, at);
    expect(messageIds(flowOf(await rejection(replay.submit())))).toContain(4000008);
  });

  it('lets whoami and settings through at aal1 when configured so; refuses aal2 without a session and a second login at aal2', async () => {
    const { app } = memoryApp({ ...FACTORS, SESSION_WHOAMI_REQUIRED_AAL: 'aal1', SELFSERVICE_FLOWS_SETTINGS_REQUIRED_AAL: 'aal1' });
    const { token, email } = await register(app);
    await enrolTotp(app, token);
    const aal1 = ((await login(app, email)).body as { session_token: string; session: { identity?: unknown } });
    expect(aal1.session.identity).toBeDefined();
    await expect(app.sessionService.whoami(aal1.session_token, new Date())).resolves.toBeDefined();
    await expect(app.settings.init(apiRequest({ sessionToken: aal1.session_token }), new Date())).resolves.toBeDefined();

    expect(await rejection(app.login.init(apiRequest(), { refresh: false, aal: 'aal2' }, new Date()))).toMatchObject({ status: 401, id: 'session_aal1_required' });
    expect(await rejection(app.login.init(apiRequest(), { refresh: false, aal: 'aal3' }, new Date()))).toMatchObject({ status: 400 });
    // The enrolling session is aal2 already: asking again is "already signed in".
    expect(await rejection(app.login.init(apiRequest({ sessionToken: token }), { refresh: false, aal: 'aal2' }, new Date()))).toMatchObject({ id: 'session_already_available' });
  });

  it('under highest_available, refuses settings to an aal1 session (a browser is sent to the second factor) and unlinks with a fresh session', async () => {
    const { app } = memoryApp(FACTORS);
    const { token, email } = await register(app);
    await enrolTotp(app, token);
    const aal1 = ((await login(app, email)).body as { session_token: string }).session_token;
    expect(await rejection(app.settings.init(apiRequest({ sessionToken: aal1 }), new Date()))).toMatchObject({ status: 403, id: 'session_aal2_required' });
    const browser = await app.settings.initBrowser(browserRequest(undefined, { sessionToken: aal1 }), undefined, new Date());
    expect(browser.status).toBe(303);
    expect(browser.location).toContain('/self-service/login/browser?aal=aal2');

    // The aal2 session unlinks it; the identity then needs one factor again.
    const request = apiRequest({ sessionToken: token });
    const flow = await app.settings.init(request, new Date());
    const answer = await app.settings.submit(flow.id, { method: 'totp', totp_unlink: 'true' }, request, new Date());
    expect(node(flowOf(answer), 'totp_qr')).toBeDefined();
    await expect(app.sessionService.whoami(aal1, new Date())).resolves.toBeDefined();
  });

  it('keeps the second factor through a password refresh of the same session (Kratos appends to its AMR)', async () => {
    const { app } = memoryApp(FACTORS);
    const { token, email } = await register(app);
    await enrolTotp(app, token);
    const request = apiRequest({ sessionToken: token });
    const flow = await app.login.init(request, { refresh: true }, new Date());
    expect(flow.ui.messages?.map((m) => m.id)).toEqual([1010003]);
    const answer = await app.login.submit(flow.id, { method: 'password', identifier: email, password: PASSWORD }, request, new Date());
    const body = answer.body as { session_token: string; session: { id: string; authenticator_assurance_level: string; authentication_methods: { method: string }[] } };
    expect(body.session_token).toBe(token);
    expect(body.session.authentication_methods.map((m) => m.method)).toEqual(['password', 'totp', 'password']);
    expect(body.session.authenticator_assurance_level).toBe('aal2');
    await expect(app.settings.init(request, new Date())).resolves.toBeDefined();
  });

  it('counts wrong codes against the login throttle', async () => {
    const { app } = memoryApp({ ...FACTORS, SELFSERVICE_FLOWS_LOGIN_THROTTLE_MAX_ATTEMPTS: '3' });
    const { token, email } = await register(app);
    await enrolTotp(app, token);
    const aal1 = ((await login(app, email)).body as { session_token: string }).session_token;
    const outcomes: unknown[] = [];
    for (let i = 0; i < 4; i++) {
      const { submit } = await secondFactor(app, aal1, { method: 'totp', totp_code: '999999' });
      outcomes.push(await rejection(submit()).then((e) => (e instanceof FlowValidationError ? 'wrong' : e.status)));
    }
    expect(outcomes).toEqual(['wrong', 'wrong', 'wrong', 429]);
  });
});

describe('lookup codes', () => {
  it('are generated, confirmed, each used once at an aal2 login, and shown used as Kratos shows them', async () => {
    const { app } = memoryApp(FACTORS);
    const { token, email, identityId } = await register(app);
    const request = apiRequest({ sessionToken: token });
    const flow = await app.settings.init(request, new Date());
    expect(node(flow, 'lookup_secret_regenerate')?.meta.label?.id).toBe(1050008);
    const generated = await app.settings.submit(flow.id, { method: 'lookup_secret', lookup_secret_regenerate: true }, request, new Date());
    const list = node(flowOf(generated), 'lookup_secret_codes')!.attributes as unknown as { text: { id: number; text: string; context: { secrets: { id: number; text: string }[] } } };
    expect(list.text.id).toBe(1050015);
    const codes = list.text.context.secrets.map((s) => s.text);
    expect(codes).toHaveLength(12);
    for (const code of codes) expect(code).toMatch(/^[a-z0-9]{8}$/);
    expect(list.text.text).toBe(codes.join(', '));
    // Not saved until confirmed.
    expect((await app.store.identities.getWithCredentials(identityId))?.factors?.lookup_secret).toBeUndefined();
    const confirmed = await app.settings.submit(flow.id, { method: 'lookup_secret', lookup_secret_confirm: true }, request, new Date());
    // Confirmed: the codes leave the flow (the form offers reveal and disable), and cannot be confirmed again.
    expect(flowOf(confirmed).ui.nodes.filter((n) => n.group === 'lookup_secret').map((n) => (n.attributes as { name?: string }).name)).toEqual(['lookup_secret_reveal', 'lookup_secret_disable']);
    expect((await app.store.flows.get(flow.id))?.internal?.lookup_secret).toBeUndefined();
    expect(messageIds(flowOf(await rejection(app.settings.submit(flow.id, { lookup_secret_confirm: true }, request, new Date()))))).toContain(4000014);
    const stored = await app.store.identities.getWithCredentials(identityId);
    expect(JSON.stringify(stored?.factors?.lookup_secret)).not.toContain(codes[0]);

    const aal1 = ((await login(app, email)).body as { session_token: string }).session_token;
    const first = await secondFactor(app, aal1, { method: 'lookup_secret', lookup_secret: codes[3] });
    expect(first.flow.ui.nodes.map((n) => (n.attributes as { name?: string }).name)).toEqual(['csrf_token', 'lookup_secret', 'method']);
    expect(((await first.submit()).body as { session: { authenticator_assurance_level: string } }).session.authenticator_assurance_level).toBe('aal2');

    const other = ((await login(app, email)).body as { session_token: string }).session_token;
    expect(messageIds(flowOf(await rejection((await secondFactor(app, other, { method: 'lookup_secret', lookup_secret: codes[3] })).submit())))).toContain(4000012);
    expect(messageIds(flowOf(await rejection((await secondFactor(app, other, { method: 'lookup_secret', lookup_secret: 'zzzzzzzz' })).submit())))).toContain(4000016);

    // Revealed: the used one as 1050014.
    const revealFlow = await app.settings.init(request, new Date());
    const revealed = await app.settings.submit(revealFlow.id, { method: 'lookup_secret', lookup_secret_reveal: true }, request, new Date());
    const secrets = (node(flowOf(revealed), 'lookup_secret_codes')!.attributes as unknown as { text: { context: { secrets: { id: number }[] } } }).text.context.secrets;
    expect(secrets.map((s) => s.id).filter((id) => id === 1050014)).toHaveLength(1);
  });
});
