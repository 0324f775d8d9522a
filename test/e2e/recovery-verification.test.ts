/**
 * Recovery and verification by code, end to end with the official SDK through serverless-offline; codes read from
 * the mail the courier really delivered to the test's SMTP server. Happy paths, wrong codes, reuse, the submission
 * limit, expiry, unknown addresses (the same answer, no mail), a race of one code, the admin's recovery code.
 */
import { createApp } from '../../lib/app.js';
import type { FlowRequest } from '../../lib/flows/common.js';
import { createDynamoClient } from '../../lib/store/dynamodb/client.js';
import { createDynamoStore } from '../../lib/store/dynamodb/store.js';
import { flowIdOf, nodeValue, TestBrowser } from '../support/browser.js';
import { baseUrl } from '../support/env.js';
import { failure, frontendApi, GOOD_PASSWORD, identityApi, registerVia, request, uniqueEmail } from '../support/http.js';
import { expectMatchesSchema } from '../support/openapi.js';
import { scanAll, testConfig } from '../support/store.js';
import { mailsIn, waitForMail } from '../support/smtp.js';

/** The shared SMTP server's folder (the global setup starts it; the courier delivers there). */
function mailDir(): string {
  const dir = process.env.TEST_MAIL_DIR;
  if (!dir) throw new Error('TEST_MAIL_DIR is not set: the Jest global setup did not run');
  return dir;
}

/** The `count`-th mail to `to` whose subject includes `subjectIncludes`, once it arrived. */
async function nthMail(to: string, subjectIncludes: string, count: number, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = await mailsIn(mailDir(), { to, subjectIncludes });
    if (found.length >= count) return found[count - 1];
    if (Date.now() > deadline) throw new Error(`fewer than ${count} mails to ${to} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const frontend = frontendApi();
const admin = identityApi();

async function register(email = uniqueEmail('recover')) {
  const { res } = await registerVia(baseUrl(), email);
  expect(res.status).toBe(200);
  return { email, data: res.json };
}

const codeIn = (text: string) => /\b(\d{6})\b/.exec(text)?.[1];

async function mailedCode(to: string, subjectIncludes: string): Promise<string> {
  const mail = await waitForMail(mailDir(), { to, subjectIncludes }, 15_000);
  const code = codeIn(mail.subject ?? '') ?? codeIn(mail.text ?? '');
  if (!code) throw new Error(`no code in the mail to ${to}: ${mail.subject}`);
  return code;
}

async function recoveryFlowSentTo(email: string) {
  const { data: flow } = await frontend.createNativeRecoveryFlow();
  const { data: sent } = await frontend.updateRecoveryFlow({ flow: flow.id, updateRecoveryFlowBody: { method: 'code', email } });
  return sent;
}

/** What the answer says, without what differs by nature between two flows (ids, times, the address typed). */
function shape(flow: any) {
  return {
    state: flow.state,
    active: flow.active,
    messages: flow.ui.messages,
    nodes: flow.ui.nodes.map((n: any) => [n.group, n.attributes.name, n.attributes.type, n.meta.label?.id]),
  };
}

/** Kratos's answer to a flow submitted too often: 400, the reason, and the new flow to go on with. */
async function expectTooOften(blocked: { data: any }, oldFlowId: string) {
  expectMatchesSchema('errorGeneric', blocked.data);
  expect(blocked.data.error.reason).toBe('The request was submitted too often. Please request another code.');
  const next = blocked.data.error.details.continue_with;
  expect(next).toEqual([{ action: 'show_recovery_ui', flow: { id: expect.any(String), url: expect.stringContaining('/ui/recovery?flow=') } }]);
  expect(next[0].flow.id).not.toBe(oldFlowId);
  const { data: replacement } = await frontend.getRecoveryFlow({ id: next[0].flow.id });
  expect(replacement.state).toBe('choose_method');
  expect(replacement.ui.messages?.map((m) => m.text)).toEqual(['The request was submitted too often. Please request another code.']);
}

describe('recovery by code', () => {
  it('mails a code to a known address and, with it, signs in and opens a privileged settings flow', async () => {
    const { email } = await register();
    const sent = await recoveryFlowSentTo(email.toUpperCase());
    expectMatchesSchema('recoveryFlow', sent);
    expect(sent.state).toBe('sent_email');
    expect(sent.ui.messages?.map((m) => m.id)).toEqual([1060003]);
    expect(sent.ui.nodes.find((n: any) => n.attributes.name === 'code')?.attributes).toMatchObject({ type: 'text', required: true, pattern: '[0-9]+', maxlength: 6, autocomplete: 'one-time-code' });

    const code = await mailedCode(email, 'to recover access to your account');
    const { data: done, status } = await frontend.updateRecoveryFlow({ flow: sent.id, updateRecoveryFlowBody: { method: 'code', code } });
    expect(status).toBe(200);
    expectMatchesSchema('recoveryFlow', done);
    expect(done.state).toBe('passed_challenge');
    const token = (done.continue_with?.find((c: any) => c.action === 'set_ory_session_token') as any)?.ory_session_token;
    const settingsUi = done.continue_with?.find((c: any) => c.action === 'show_settings_ui') as any;
    expect(token).toMatch(/^ory_st_/);
    expect(settingsUi.flow.id).toBeDefined();

    const { data: session } = await frontend.toSession({ xSessionToken: token });
    expect(session.identity!.traits.email).toBe(email);
    expect(session.authentication_methods?.map((m) => m.method)).toEqual(['code_recovery']);
    const { data: settings } = await frontend.getSettingsFlow({ id: settingsUi.flow.id, xSessionToken: token });
    expect(settings.ui.messages?.map((m) => m.id)).toEqual([1060001]);
    // Kratos's context keys: Ory's UI formats the minutes left from the Unix one.
    expect(settings.ui.messages?.[0].context).toMatchObject({ privileged_session_expires_at: expect.any(String), privileged_session_expires_at_unix: expect.any(Number) });
    // The session is fresh, so the password can be changed at once; the new one signs in.
    const newPassword = 'a recovered passphrase 77';
    await frontend.updateSettingsFlow({ flow: settings.id, xSessionToken: token, updateSettingsFlowBody: { method: 'password', password: newPassword } });
    const { data: login } = await frontend.createNativeLoginFlow();
    expect((await frontend.updateLoginFlow({ flow: login.id, updateLoginFlowBody: { method: 'password', identifier: email, password: newPassword } })).status).toBe(200);

    // The code is spent: the same code again is an invalid code (as Kratos answers a done flow), and signs no one in.
    const again = await frontend.updateRecoveryFlow({ flow: sent.id, updateRecoveryFlowBody: { method: 'code', code } });
    expect(again.data.ui.messages?.map((m) => m.id)).toEqual([4060006]);
    expect(again.data.continue_with).toBeUndefined();
    // A method this flow does not have: Kratos's 4010005.
    const other = await failure(frontend.updateRecoveryFlow({ flow: sent.id, updateRecoveryFlowBody: { method: 'link' as never, email } }));
    expect(other.data.ui.messages.map((m: any) => m.id)).toEqual([4010005]);
  });

  it('mails at most 3 codes from one flow: 15 submits with one address give 3 mails, then the flow says so', async () => {
    const { email } = await register();
    const flow = await request('GET', '/self-service/recovery/api');
    const answers = [];
    for (let i = 0; i < 15; i += 1) {
      answers.push(await request('POST', `/self-service/recovery?flow=${flow.json.id}`, { headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ method: 'code', email }) }));
    }
    expect(answers.slice(0, 3).map((a) => a.status)).toEqual([200, 200, 200]);
    for (const refused of answers.slice(3)) {
      expect(refused.status).toBe(400);
      expect(refused.json.ui.messages.map((m: { text: string }) => m.text)).toEqual(['This flow sent as many codes as it may. Please start again.']);
    }
    // Three messages were queued for the address, no more (what the courier delivers, whenever it does).
    const queued = (await scanAll()).filter((item) => item.kind?.S === 'message' && item.recipient?.S === email && item.template_type?.S?.startsWith('recovery'));
    expect(queued).toHaveLength(3);
    await nthMail(email, 'recover access', 3, 45_000);
    expect(await mailsIn(mailDir(), { to: email, subjectIncludes: 'recover access' })).toHaveLength(3);
  }, 90_000);

  it('answers an unknown address exactly as a known one, and mails nothing', async () => {
    const { email } = await register();
    const nobody = uniqueEmail('nobody');
    const known = await recoveryFlowSentTo(email);
    const unknown = await recoveryFlowSentTo(nobody);
    expect(shape(unknown)).toEqual(shape(known));
    await mailedCode(email, 'recover access');
    // The known address's mail came; by then the unknown one's would have too.
    await expect(waitForMail(mailDir(), { to: nobody }, 1500)).rejects.toThrow();
    const res = await frontend.updateRecoveryFlow({ flow: unknown.id, updateRecoveryFlowBody: { method: 'code', code: '123456' } });
    expect(res.data.ui.messages?.map((m) => m.id)).toEqual([4060006]);
  });

  it('refuses a wrong code (4060006), then every code once the submissions are used up, the right one included', async () => {
    const { email } = await register();
    const sent = await recoveryFlowSentTo(email);
    const code = await mailedCode(email, 'recover access');
    const wrong = code === '000000' ? '111111' : '000000';
    const first = await frontend.updateRecoveryFlow({ flow: sent.id, updateRecoveryFlowBody: { method: 'code', code: wrong } });
    expect(first.status).toBe(200);
    expectMatchesSchema('recoveryFlow', first.data);
    expect(first.data.state).toBe('sent_email');
    expect(first.data.ui.messages?.map((m) => [m.id, m.text])).toEqual([[4060006, 'The recovery code is invalid or has already been used. Please try again.']]);
    for (let i = 1; i < 5; i += 1) await frontend.updateRecoveryFlow({ flow: sent.id, updateRecoveryFlowBody: { method: 'code', code: wrong } });
    const blocked = await failure(frontend.updateRecoveryFlow({ flow: sent.id, updateRecoveryFlowBody: { method: 'code', code } }));
    expect(blocked.status).toBe(400);
    await expectTooOften(blocked, sent.id);
  });

  it('lets only one of two simultaneous submissions of the right code sign in', async () => {
    const { email, data } = await register();
    const sent = await recoveryFlowSentTo(email);
    const code = await mailedCode(email, 'recover access');
    const results = await Promise.all([0, 1, 2].map(() => frontend.updateRecoveryFlow({ flow: sent.id, updateRecoveryFlowBody: { method: 'code', code } }).catch((e) => e.response)));
    const signedIn = results.filter((r) => r.data.continue_with?.some((c: any) => c.action === 'set_ory_session_token'));
    expect(signedIn).toHaveLength(1);
    // The others were told the code is spent (the flow is done, or the code no longer the one outstanding).
    for (const other of results.filter((r) => !signedIn.includes(r))) expect(other.data.ui.messages.map((m: any) => m.id)).toEqual([expect.any(Number)]);
    const { data: sessions } = await admin.listIdentitySessions({ id: data.identity.id });
    // The registration's session and the recovery's: one each.
    expect(sessions).toHaveLength(2);
  });

  it("makes a code for an identity through the admin API; it works once, and not after it expired", async () => {
    const { email, data } = await register();
    const identityId = data.identity.id;
    const { data: made, status } = await admin.createRecoveryCodeForIdentity({ createRecoveryCodeForIdentityBody: { identity_id: identityId, flow_type: 'api' } });
    expect(status).toBe(201);
    expectMatchesSchema('recoveryCodeForIdentity', made);
    const flowId = new URL(made.recovery_link).searchParams.get('flow')!;
    const { data: done } = await frontend.updateRecoveryFlow({ flow: flowId, updateRecoveryFlowBody: { method: 'code', code: made.recovery_code } });
    expect(done.state).toBe('passed_challenge');
    const token = (done.continue_with?.[0] as any).ory_session_token;
    expect((await frontend.toSession({ xSessionToken: token })).data.identity!.traits.email).toBe(email);

    const { data: short } = await admin.createRecoveryCodeForIdentity({ createRecoveryCodeForIdentityBody: { identity_id: identityId, flow_type: 'api', expires_in: '1s' } });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const expired = await failure(
      frontend.updateRecoveryFlow({ flow: new URL(short.recovery_link).searchParams.get('flow')!, updateRecoveryFlowBody: { method: 'code', code: short.recovery_code } }),
    );
    expect(expired.status).toBe(410);

    const unknownIdentity = await failure(admin.createRecoveryCodeForIdentity({ createRecoveryCodeForIdentityBody: { identity_id: '00000000-0000-4000-8000-000000000000' } }));
    expect(unknownIdentity.status).toBe(404);
    const bad = await failure(admin.createRecoveryCodeForIdentity({ createRecoveryCodeForIdentityBody: { identity_id: identityId, expires_in: 'soon' } }));
    expect(bad.status).toBe(400);
  });

  it('gives no new guesses with a resent code, and kills a code whose address the identity no longer has', async () => {
    const { email, data } = await register();
    const sent = await recoveryFlowSentTo(email);
    const first = await mailedCode(email, 'recover access');
    const wrong = first === '000000' ? '111111' : '000000';
    for (let i = 0; i < 3; i += 1) await frontend.updateRecoveryFlow({ flow: sent.id, updateRecoveryFlowBody: { method: 'code', code: wrong } });
    await frontend.updateRecoveryFlow({ flow: sent.id, updateRecoveryFlowBody: { method: 'code', email } });
    const second = codeIn((await nthMail(email, 'recover access', 2)).subject ?? '')!;
    for (let i = 0; i < 2; i += 1) await frontend.updateRecoveryFlow({ flow: sent.id, updateRecoveryFlowBody: { method: 'code', code: wrong } });
    const blocked = await failure(frontend.updateRecoveryFlow({ flow: sent.id, updateRecoveryFlowBody: { method: 'code', code: second } }));
    expect(blocked.status).toBe(400);
    await expectTooOften(blocked, sent.id);

    // A code mailed to an address the identity then gives up (an admin changes it) no longer works.
    const other = await recoveryFlowSentTo(email);
    const code = codeIn((await nthMail(email, 'recover access', 3)).subject ?? '')!;
    await admin.updateIdentity({ id: data.identity.id, updateIdentityBody: { schema_id: 'default', state: 'active', traits: { email: uniqueEmail('moved') } } });
    const dead = await frontend.updateRecoveryFlow({ flow: other.id, updateRecoveryFlowBody: { method: 'code', code } });
    expect(dead.data.ui.messages?.map((m) => m.id)).toEqual([4060006]);
    expect(dead.data.continue_with).toBeUndefined();
  });

  it('verifies the address the recovery code reached; refuses an admin code lifespan over a year', async () => {
    const { email, data } = await register();
    const sent = await recoveryFlowSentTo(email);
    // Registration's verification mail came first; the recovery code is in the other one.
    const code = await mailedCode(email, 'recover access');
    const { data: done } = await frontend.updateRecoveryFlow({ flow: sent.id, updateRecoveryFlowBody: { method: 'code', code } });
    const token = (done.continue_with?.[0] as any).ory_session_token;
    expect((await frontend.toSession({ xSessionToken: token })).data.identity!.verifiable_addresses?.[0]).toMatchObject({ value: email, verified: true, status: 'completed' });
    expect((await admin.getIdentity({ id: data.identity.id })).data.verifiable_addresses?.[0].verified).toBe(true);
    const tooLong = await failure(admin.createRecoveryCodeForIdentity({ createRecoveryCodeForIdentityBody: { identity_id: data.identity.id, expires_in: '9999999999h' } }));
    expect(tooLong.status).toBe(400);
  });

  it('refuses an address of any length quickly, on its node (no backtracking pattern)', async () => {
    const { data: flow } = await frontend.createNativeRecoveryFlow();
    const hostile = `a@${'.'.repeat(200_000)} x`;
    const res = await failure(frontend.updateRecoveryFlow({ flow: flow.id, updateRecoveryFlowBody: { method: 'code', email: hostile } }));
    expect(res.status).toBe(400);
    // Over 320 bytes: too long to be an address (4000017), before the address is even looked at.
    expect(res.data.ui.nodes.find((n: any) => n.attributes.name === 'email').messages.map((m: any) => m.id)).toEqual([4000017]);
    const spaced = await failure(frontend.updateRecoveryFlow({ flow: flow.id, updateRecoveryFlowBody: { method: 'code', email: `a@${'.'.repeat(300)} x` } }));
    expect(spaced.data.ui.nodes.find((n: any) => n.attributes.name === 'email').messages.map((m: any) => m.id)).toEqual([4000040]);
  });

  it('refuses a malformed address on its node, and a session holder', async () => {
    const { data: flow } = await frontend.createNativeRecoveryFlow();
    const res = await failure(frontend.updateRecoveryFlow({ flow: flow.id, updateRecoveryFlowBody: { method: 'code', email: 'not-an-address' } }));
    expect(res.status).toBe(400);
    expect(res.data.ui.nodes.find((n: any) => n.attributes.name === 'email').messages.map((m: any) => m.id)).toEqual([4000040]);
    const { data } = await register();
    const signedIn = await request('GET', '/self-service/recovery/api', { headers: { 'X-Session-Token': data.session_token! } });
    expect(signedIn.status).toBe(400);
    expect(signedIn.json.error.id).toBe('session_already_available');
  });
});

describe('verification by code', () => {
  it('registration sends a code and says where to enter it; the code verifies the address', async () => {
    const { email, data } = await register(uniqueEmail('verify'));
    const next = data.continue_with?.find((c: any) => c.action === 'show_verification_ui') as any;
    expect(next.flow).toMatchObject({ verifiable_address: email });
    expect(data.identity.verifiable_addresses).toEqual([expect.objectContaining({ value: email, verified: false, via: 'email' })]);
    const { data: flow } = await frontend.getVerificationFlow({ id: next.flow.id });
    expectMatchesSchema('verificationFlow', flow);
    expect(flow.state).toBe('sent_email');

    const mail = await waitForMail(mailDir(), { to: email, subjectIncludes: 'to verify your account' }, 15_000);
    const code = codeIn(mail.subject ?? '')!;
    expect(mail.text).toContain(`/self-service/verification?code=${code}&flow=${next.flow.id}`);

    const wrong = await frontend.updateVerificationFlow({ flow: flow.id, updateVerificationFlowBody: { method: 'code', code: code === '000000' ? '111111' : '000000' } });
    expect(wrong.data.ui.messages?.map((m) => m.id)).toEqual([4070006]);
    const { data: done } = await frontend.updateVerificationFlow({ flow: flow.id, updateVerificationFlowBody: { method: 'code', code } });
    expectMatchesSchema('verificationFlow', done);
    expect(done.state).toBe('passed_challenge');
    expect(done.ui.messages?.map((m) => m.id)).toEqual([1080002]);
    expect(done.ui.method).toBe('GET');
    expect(done.ui.nodes.find((n: any) => n.type === 'a')?.attributes).toMatchObject({ id: 'continue' });

    // Done: another submit replaces the flow with one saying so (Kratos: 410 self_service_flow_replaced, 4070002).
    const retry = await failure(frontend.updateVerificationFlow({ flow: flow.id, updateVerificationFlowBody: { method: 'code', code } }));
    expect(retry.status).toBe(410);
    expect(retry.data.error.id).toBe('self_service_flow_replaced');
    const { data: replacement } = await frontend.getVerificationFlow({ id: retry.data.use_flow_id });
    expect(replacement.ui.messages?.map((m) => m.id)).toEqual([4070002]);

    const { data: identity } = await admin.getIdentity({ id: data.identity.id });
    expect(identity.verifiable_addresses).toEqual([expect.objectContaining({ value: email, verified: true, status: 'completed', verified_at: expect.any(String) })]);
    const whoami = await frontend.toSession({ xSessionToken: data.session_token! });
    expect(whoami.data.identity!.verifiable_addresses?.[0].verified).toBe(true);
  });

  it('imports an address as verified through the admin API, as Kratos: only one the traits hold', async () => {
    const email = uniqueEmail('imported');
    const { data: created } = await admin.createIdentity({
      createIdentityBody: {
        schema_id: 'default',
        traits: { email },
        verifiable_addresses: [
          { value: email.toUpperCase(), verified: true, via: 'email', status: 'completed' },
          { value: uniqueEmail('not-in-traits'), verified: true, via: 'email', status: 'completed' },
        ],
      },
    });
    expectMatchesSchema('identity', created);
    expect(created.verifiable_addresses).toEqual([expect.objectContaining({ value: email, verified: true, status: 'completed' })]);
    expect(created.recovery_addresses).toEqual([expect.objectContaining({ value: email, via: 'email' })]);
    const bad = await failure(admin.createIdentity({ createIdentityBody: { schema_id: 'default', traits: { email: uniqueEmail('bad') }, verifiable_addresses: 'x' as never } }));
    expect(bad.status).toBe(400);
  });

  it('sends a code to an address a profile change adds (and only then), and the code verifies it', async () => {
    const { email, data } = await register(uniqueEmail('verify-moved'));
    expect(data.identity.verifiable_addresses?.[0]).toMatchObject({ value: email, status: 'sent' });
    const token = data.session_token!;
    const { data: flow } = await frontend.createNativeSettingsFlow({ xSessionToken: token });
    const moved = uniqueEmail('verify-moved-to');
    const { data: saved } = await frontend.updateSettingsFlow({ flow: flow.id, xSessionToken: token, updateSettingsFlowBody: { method: 'profile', traits: { email: moved } } });
    expect(saved.identity.verifiable_addresses).toEqual([expect.objectContaining({ value: moved, verified: false, status: 'sent' })]);
    const mail = await waitForMail(mailDir(), { to: moved, subjectIncludes: 'verify your account' }, 15_000);
    const flowId = /flow=([0-9a-f-]+)/.exec(mail.text ?? '')![1];
    const { data: done } = await frontend.updateVerificationFlow({ flow: flowId, updateVerificationFlowBody: { method: 'code', code: codeIn(mail.subject ?? '')! } });
    expect(done.state).toBe('passed_challenge');
    expect((await frontend.toSession({ xSessionToken: token })).data.identity!.verifiable_addresses?.[0]).toMatchObject({ value: moved, verified: true });
    // Saving the profile again without a new address mails nothing more.
    const { data: again } = await frontend.createNativeSettingsFlow({ xSessionToken: token });
    await frontend.updateSettingsFlow({ flow: again.id, xSessionToken: token, updateSettingsFlowBody: { method: 'profile', traits: { email: moved, name: { first: 'Ada' } } } });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(await mailsIn(mailDir(), { to: moved })).toHaveLength(1);
  });

  it('checks a code before an address, as Kratos: {code, email} verifies', async () => {
    const { email } = await register(uniqueEmail('verify-order'));
    const { data: flow } = await frontend.createNativeVerificationFlow();
    await frontend.updateVerificationFlow({ flow: flow.id, updateVerificationFlowBody: { method: 'code', email } });
    const code = codeIn((await nthMail(email, 'verify', 2)).subject ?? '')!;
    const { data: done } = await frontend.updateVerificationFlow({ flow: flow.id, updateVerificationFlowBody: { method: 'code', code, email } });
    expect(done.state).toBe('passed_challenge');
  });

  it('sends a new code on request, to a known address only, with the same answer for an unknown one', async () => {
    const { email } = await register(uniqueEmail('verify-again'));
    await waitForMail(mailDir(), { to: email, subjectIncludes: 'verify' }, 15_000);
    const { data: flow } = await frontend.createNativeVerificationFlow();
    const { data: sent } = await frontend.updateVerificationFlow({ flow: flow.id, updateVerificationFlowBody: { method: 'code', email } });
    expect(sent.state).toBe('sent_email');
    expect(sent.ui.messages?.map((m) => m.id)).toEqual([1080003]);
    const { data: other } = await frontend.createNativeVerificationFlow();
    const { data: unknown } = await frontend.updateVerificationFlow({ flow: other.id, updateVerificationFlowBody: { method: 'code', email: uniqueEmail('verify-nobody') } });
    expect(shape(unknown)).toEqual(shape(sent));
    const second = await nthMail(email, 'verify', 2);
    const code = codeIn(second.subject ?? '')!;
    const { data: done } = await frontend.updateVerificationFlow({ flow: flow.id, updateVerificationFlowBody: { method: 'code', code } });
    expect(done.state).toBe('passed_challenge');
  });
});

describe('recovery and verification in a browser (form posts, cookies, redirects)', () => {
  const ui = (name: string) => `${baseUrl()}/ui/${name}`;

  it('recovers by form posts: CSRF checked, 303s to the UI, the session cookie and the settings UI at the end', async () => {
    const { email } = await register();
    const browser = new TestBrowser(baseUrl());
    const init = await browser.get('/self-service/recovery/browser');
    expect(init.status).toBe(303);
    expect(init.location).toMatch(new RegExp(`^${ui('recovery')}\\?flow=`));
    const flowId = flowIdOf(init.location);
    const { json: flow } = await browser.getJson(`/self-service/recovery/flows?id=${flowId}`);
    expectMatchesSchema('recoveryFlow', flow);
    const csrf = nodeValue(flow, 'csrf_token');

    const forged = await browser.postForm(`/self-service/recovery?flow=${flowId}`, { method: 'code', email });
    expect(forged.status).toBe(303);
    expect(forged.location).toMatch(new RegExp(`^${ui('error')}\\?id=`));

    const sent = await browser.postForm(`/self-service/recovery?flow=${flowId}`, { csrf_token: csrf, method: 'code', email });
    expect(sent.status).toBe(303);
    expect(sent.location).toBe(`${ui('recovery')}?flow=${flowId}`);
    const { json: shown } = await browser.getJson(`/self-service/recovery/flows?id=${flowId}`);
    expect(shown.state).toBe('sent_email');
    expect(shown.ui.messages.map((m: any) => m.id)).toEqual([1060003]);
    expect(nodeValue(shown, 'email')).toBe(email);

    const code = await mailedCode(email, 'recover access');
    const done = await browser.postForm(`/self-service/recovery?flow=${flowId}`, { csrf_token: nodeValue(shown, 'csrf_token'), method: 'code', code });
    expect(done.status).toBe(303);
    expect(done.location).toMatch(new RegExp(`^${ui('settings')}\\?flow=`));
    expect(browser.cookie('ory_kratos_session')).toBeDefined();
    const { json: settings } = await browser.getJson(`/self-service/settings/flows?id=${flowIdOf(done.location)}`);
    expect(settings.ui.messages.map((m: any) => m.id)).toEqual([1060001]);
    const { json: whoami } = await browser.getJson('/sessions/whoami');
    expect(whoami.identity.traits.email).toBe(email);
  });

  it("opens the admin's recovery link in a browser: the flow gets the browser's CSRF cookie, and the code signs in", async () => {
    const { email, data } = await register();
    const { data: made } = await admin.createRecoveryCodeForIdentity({ createRecoveryCodeForIdentityBody: { identity_id: data.identity.id } });
    const browser = new TestBrowser(baseUrl());
    const opened = await browser.get(made.recovery_link);
    expect(opened.status).toBe(303);
    expect(opened.location).toMatch(new RegExp(`^${ui('recovery')}\\?flow=`));
    expect(browser.cookieStartingWith('csrf_token_')).toBeDefined();
    const { json: flow, status } = await browser.getJson(`/self-service/recovery/flows?id=${flowIdOf(opened.location)}`);
    expect(status).toBe(200);
    expect(flow.type).toBe('browser');
    expect(flow.state).toBe('sent_email');
    const done = await browser.postForm(`/self-service/recovery?flow=${flow.id}`, { csrf_token: nodeValue(flow, 'csrf_token'), method: 'code', code: made.recovery_code });
    expect(done.status).toBe(303);
    expect(done.location).toMatch(new RegExp(`^${ui('settings')}\\?flow=`));
    expect((await browser.getJson('/sessions/whoami')).json.identity.traits.email).toBe(email);
  });

  it("never hands a browser another browser's recovery flow: a link to it starts a new flow, and fills in no code", async () => {
    // The attacker starts recovery for their own account in their browser and reads their code...
    const { email } = await register(uniqueEmail('attacker'));
    const attacker = new TestBrowser(baseUrl());
    const flowId = flowIdOf((await attacker.get('/self-service/recovery/browser')).location);
    const { json: flow } = await attacker.getJson(`/self-service/recovery/flows?id=${flowId}`);
    await attacker.postForm(`/self-service/recovery?flow=${flowId}`, { csrf_token: nodeValue(flow, 'csrf_token'), method: 'code', email });
    const code = await mailedCode(email, 'recover access');
    // ...and sends the victim the link with both. The victim's browser is sent to a new flow of its own.
    const victim = new TestBrowser(baseUrl());
    const opened = await victim.get(`/self-service/recovery?flow=${flowId}&code=${code}`);
    expect(opened.status).toBe(303);
    expect(opened.location).toBe(`${baseUrl()}/self-service/recovery/browser`);
    const fresh = await victim.get(opened.location!);
    expect(flowIdOf(fresh.location)).not.toBe(flowId);
    expect((await victim.getJson(`/self-service/recovery/flows?id=${flowId}`)).status).toBe(403);
    expect(victim.cookie('ory_kratos_session')).toBeUndefined();
    // The flow is still the attacker's alone, without the code filled in by the link.
    const { json: still } = await attacker.getJson(`/self-service/recovery/flows?id=${flowId}`);
    expect(nodeValue(still, 'code')).toBeUndefined();
    const same = await attacker.get(`/self-service/recovery?flow=${flowId}&code=${code}`);
    expect(same.location).toBe(`${ui('recovery')}?flow=${flowId}`);
    expect(nodeValue((await attacker.getJson(`/self-service/recovery/flows?id=${flowId}`)).json, 'code')).toBeUndefined();
  });

  it('follows the mailed verification link: the code is filled in on the verification UI, and verifies by form post', async () => {
    const browser = new TestBrowser(baseUrl());
    const init = await browser.get('/self-service/registration/browser');
    const { json: flow } = await browser.getJson(`/self-service/registration/flows?id=${flowIdOf(init.location)}`);
    const email = uniqueEmail('verify-browser');
    await browser.postForm(`/self-service/registration?flow=${flow.id}`, { csrf_token: nodeValue(flow, 'csrf_token'), method: 'password', password: GOOD_PASSWORD, 'traits.email': email });
    const mail = await waitForMail(mailDir(), { to: email, subjectIncludes: 'verify' }, 15_000);
    const link = /(http\S+\/self-service\/verification\?code=\d{6}&flow=[0-9a-f-]+)/.exec(mail.text ?? '')![1];
    const opened = await browser.get(link);
    expect(opened.status).toBe(303);
    expect(opened.location).toMatch(new RegExp(`^${ui('verification')}\\?flow=`));
    const { json: verification } = await browser.getJson(`/self-service/verification/flows?id=${flowIdOf(opened.location)}`);
    const code = nodeValue(verification, 'code');
    expect(link).toContain(`code=${code}`);
    const done = await browser.postForm(`/self-service/verification?flow=${verification.id}`, { csrf_token: nodeValue(verification, 'csrf_token'), method: 'code', code });
    expect(done.status).toBe(303);
    const { json: shown } = await browser.getJson(`/self-service/verification/flows?id=${verification.id}`);
    expect(shown.state).toBe('passed_challenge');
    expect(shown.ui.messages.map((m: any) => m.id)).toEqual([1080002]);
    const { json: whoami } = await browser.getJson('/sessions/whoami');
    expect(whoami.identity.verifiable_addresses[0]).toMatchObject({ value: email, verified: true, status: 'completed' });
  });
});

describe('a code that outlived its lifespan (in-process, the suite\'s courier delivering)', () => {
  it('is refused as invalid while its flow is still open', async () => {
    const config = testConfig({ SELFSERVICE_FLOWS_RECOVERY_ENABLED: 'true', SELFSERVICE_METHODS_CODE_CONFIG_LIFESPAN: '1s' });
    const client = createDynamoClient(config.dynamodb);
    const app = createApp(config, createDynamoStore(client, config.dynamodb.tableName));
    const api: FlowRequest = { requestUrl: 'http://127.0.0.1/self-service/recovery/api', hasCookie: false, browser: { anyCookie: false, ajax: false, json: true } };
    try {
      const { email } = await register();
      const init = await app.recovery.init('api', api, undefined, new Date());
      const flow = init.body as { id: string };
      await app.recovery.submit(flow.id, { method: 'code', email }, api, new Date());
      const code = await mailedCode(email, 'recover access');
      await new Promise((resolve) => setTimeout(resolve, 1200));
      const late = await app.recovery.submit(flow.id, { method: 'code', code }, api, new Date());
      expect(late.status).toBe(200);
      expect((late.body as any).state).toBe('sent_email');
      expect((late.body as any).ui.messages.map((m: any) => m.id)).toEqual([4060006]);
    } finally {
      client.destroy();
    }
  });
});
