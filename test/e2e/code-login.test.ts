/**
 * Passwordless registration and login by e-mailed code, end to end with the official SDK through serverless-offline
 * (its own instance: passwordless on, the quickstart schema with its e-mail a code address, 3 submissions a flow);
 * codes read from the mail the courier really delivered to the test's SMTP server. Resend, the submission limit, an
 * address without code login, and no code in any span or log line of that instance.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Configuration, FrontendApi } from '@ory/kratos-client';
import type { RunningOffline } from '../../scripts/local-stack.js';
import { codeSchemaDocument } from '../support/flows.js';
import { failure, registerVia, uniqueEmail } from '../support/http.js';
import { expectMatchesSchema } from '../support/openapi.js';
import { mailsIn, testMailDir } from '../support/smtp.js';
import { startJaegerUdpReceiver, type UdpSpanReceiver } from '../support/trace-receivers.js';
import { startTracedOffline } from '../support/traced-stack.js';

let offline: RunningOffline;
/** Its twin with codes as a second factor instead (Kratos allows one or the other). */
let mfaOffline: RunningOffline;
let udp: UdpSpanReceiver;
let frontend: FrontendApi;
/** Every code the tests were mailed: none may show in a span or a log line. */
const mailed: string[] = [];

beforeAll(async () => {
  udp = await startJaegerUdpReceiver();
  const shared = {
    SELFSERVICE_METHODS_CODE_CONFIG_MAX_REQUESTS_PER_IP: '100000',
    IDENTITY_SCHEMAS: JSON.stringify([{ id: 'default', url: `base64://${Buffer.from(JSON.stringify(codeSchemaDocument())).toString('base64')}` }]),
  };
  [offline, mfaOffline] = await Promise.all([
    startTracedOffline({
      ...shared,
      TRACING_PROVIDER: 'jaeger',
      TRACING_PROVIDERS_JAEGER_LOCAL_AGENT_ADDRESS: `127.0.0.1:${udp.port}`,
      SELFSERVICE_METHODS_CODE_PASSWORDLESS_ENABLED: 'true',
      SELFSERVICE_METHODS_CODE_CONFIG_MAX_SUBMISSIONS: '3',
    }),
    startTracedOffline({ ...shared, SELFSERVICE_METHODS_CODE_MFA_ENABLED: 'true' }),
  ]);
  frontend = new FrontendApi(new Configuration({ basePath: offline.baseUrl }));
}, 120_000);
afterAll(async () => {
  await Promise.all([offline?.stop(), mfaOffline?.stop()]);
  await udp?.close();
});

/** The `count`-th mail to `to` whose subject includes `subject` (the courier delivers it within seconds): its code. */
async function nthCode(to: string, subject: string, count = 1, timeoutMs = 15_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = await mailsIn(testMailDir(), { to, subjectIncludes: subject });
    if (found.length >= count) {
      const code = /\b(\d{6})\b/.exec(found[count - 1].subject ?? '')?.[1];
      if (!code) throw new Error(`no code in the mail to ${to}`);
      mailed.push(code);
      return code;
    }
    if (Date.now() > deadline) throw new Error(`fewer than ${count} mails "${subject}" to ${to} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const ids = (flow: any): number[] => [...(flow.ui.messages ?? []), ...flow.ui.nodes.flatMap((n: any) => n.messages)].map((m: any) => m.id);
const otherThan = (code: string) => (code === '000000' ? '111111' : '000000');

/** A login flow that mailed a code to `email`: its id. */
async function loginCodeSent(email: string): Promise<string> {
  const { data: flow } = await frontend.createNativeLoginFlow();
  const sent = await failure(frontend.updateLoginFlow({ flow: flow.id, updateLoginFlowBody: { method: 'code', identifier: email, csrf_token: '' } }));
  expect(sent.status).toBe(400);
  expect(sent.data).toMatchObject({ id: flow.id, state: 'sent_email', active: 'code' });
  expect(ids(sent.data)).toEqual([1010014]);
  expectMatchesSchema('loginFlow', sent.data);
  return flow.id;
}

describe('passwordless by code, over the wire', () => {
  it('registers by code (400 sent_email, the traits hidden), the address verified, then signs in by code with resend and a session', async () => {
    const email = uniqueEmail('code');
    const { data: registration } = await frontend.createNativeRegistrationFlow();
    const traits = { email };
    const sent = await failure(frontend.updateRegistrationFlow({ flow: registration.id, updateRegistrationFlowBody: { method: 'code', traits } as any }));
    expect(sent.status).toBe(400);
    expectMatchesSchema('registrationFlow', sent.data);
    expect(sent.data).toMatchObject({ state: 'sent_email', active: 'code' });
    expect(ids(sent.data)).toEqual([1040005]);
    expect(sent.data.ui.nodes.find((n: any) => n.attributes.name === 'traits.email').attributes).toMatchObject({ type: 'hidden', value: email });
    const registrationCode = await nthCode(email, 'to complete your account registration');
    const wrong = await failure(frontend.updateRegistrationFlow({ flow: registration.id, updateRegistrationFlowBody: { method: 'code', traits, code: otherThan(registrationCode) } as any }));
    expect([wrong.status, ids(wrong.data)]).toEqual([400, [4040003]]);
    const { data: registered } = await frontend.updateRegistrationFlow({ flow: registration.id, updateRegistrationFlowBody: { method: 'code', traits, code: registrationCode } as any });
    expectMatchesSchema('successfulNativeRegistration', registered);
    expect(registered.identity.verifiable_addresses?.[0]).toMatchObject({ value: email, verified: true, status: 'completed' });
    expect(registered.session?.authentication_methods).toEqual([expect.objectContaining({ method: 'code', aal: 'aal1' })]);

    const flowId = await loginCodeSent(email.toUpperCase());
    const first = await nthCode(email, 'to log in', 1);
    // "Resend code": a second mail, with a new code; the first no longer works.
    const resent = await failure(frontend.updateLoginFlow({ flow: flowId, updateLoginFlowBody: { method: 'code', resend: 'code', identifier: email, csrf_token: '' } }));
    expect([resent.status, ids(resent.data)]).toEqual([400, [1010014]]);
    const second = await nthCode(email, 'to log in', 2);
    if (first !== second) {
      const old = await failure(frontend.updateLoginFlow({ flow: flowId, updateLoginFlowBody: { method: 'code', code: first, identifier: email, csrf_token: '' } }));
      expect([old.status, ids(old.data)]).toEqual([400, [4010008]]);
    }
    const { data: login } = await frontend.updateLoginFlow({ flow: flowId, updateLoginFlowBody: { method: 'code', code: second, identifier: email, csrf_token: '' } });
    expectMatchesSchema('successfulNativeLogin', login);
    expect(login.session.identity?.id).toBe(registered.identity.id);
    expect(login.session.authentication_methods).toEqual([expect.objectContaining({ method: 'code', aal: 'aal1' })]);
    const { data: whoami } = await frontend.toSession({ xSessionToken: login.session_token });
    expect(whoami.id).toBe(login.session.id);
    // The flow is spent.
    const again = await failure(frontend.updateLoginFlow({ flow: flowId, updateLoginFlowBody: { method: 'code', code: second, identifier: email, csrf_token: '' } }));
    expect([again.status, ids(again.data)]).toEqual([400, [4010007]]);
  }, 60_000);

  it('takes at most MAX_SUBMISSIONS codes a flow (a resend buys none), then refuses the right one too (4000001)', async () => {
    const email = uniqueEmail('limit');
    const { data: registration } = await frontend.createNativeRegistrationFlow();
    await failure(frontend.updateRegistrationFlow({ flow: registration.id, updateRegistrationFlowBody: { method: 'code', traits: { email } } as any }));
    await frontend.updateRegistrationFlow({ flow: registration.id, updateRegistrationFlowBody: { method: 'code', traits: { email }, code: await nthCode(email, 'registration') } as any });

    const flowId = await loginCodeSent(email);
    const code = await nthCode(email, 'to log in');
    for (let i = 0; i < 3; i++) {
      const wrong = await failure(frontend.updateLoginFlow({ flow: flowId, updateLoginFlowBody: { method: 'code', code: otherThan(code), identifier: email, csrf_token: '' } }));
      expect([wrong.status, ids(wrong.data)]).toEqual([400, [4010008]]);
    }
    const blocked = await failure(frontend.updateLoginFlow({ flow: flowId, updateLoginFlowBody: { method: 'code', code, identifier: email, csrf_token: '' } }));
    expect(blocked.status).toBe(400);
    expectMatchesSchema('loginFlow', blocked.data);
    expect(blocked.data.ui.messages.map((m: any) => [m.id, m.text])).toEqual([[4000001, 'The request was submitted too often. Please request another code.']]);
  }, 60_000);

  it('answers an address without code login 4000035 (Kratos reveals it here too), and mails it nothing', async () => {
    const nobody = uniqueEmail('nobody');
    const { data: flow } = await frontend.createNativeLoginFlow();
    const refused = await failure(frontend.updateLoginFlow({ flow: flow.id, updateLoginFlowBody: { method: 'code', identifier: nobody, csrf_token: '' } }));
    expect(refused.status).toBe(400);
    expectMatchesSchema('loginFlow', refused.data);
    expect(ids(refused.data)).toEqual([4000035]);
    expect(refused.data.state).toBe('choose_method');
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await mailsIn(testMailDir(), { to: nobody })).toEqual([]);
  });

  it('as a second factor: the aal2 login mails the code to the one code address as it starts, and the code steps the session up', async () => {
    const mfa = new FrontendApi(new Configuration({ basePath: mfaOffline.baseUrl }));
    const { email, token, res } = await registerVia(mfaOffline.baseUrl, uniqueEmail('mfa'));
    expect(token).toEqual(expect.any(String));
    // A code address is a second factor here: whoami wants it (highest_available) until the session has it.
    const refused = await failure(mfa.toSession({ xSessionToken: token }));
    expect([refused.status, refused.data.error.id]).toEqual([403, 'session_aal2_required']);
    const { data: flow } = await mfa.createNativeLoginFlow({ aal: 'aal2', xSessionToken: token });
    expectMatchesSchema('loginFlow', flow);
    expect(flow).toMatchObject({ state: 'sent_email', active: 'code', requested_aal: 'aal2' });
    expect(ids(flow)).toContain(1010025);
    const code = await nthCode(email, 'to log in');
    const { data: stepped } = await mfa.updateLoginFlow({ flow: flow.id, xSessionToken: token, updateLoginFlowBody: { method: 'code', code, identifier: email, csrf_token: '' } });
    expect(stepped.session.id).toBe(res.json.session.id);
    await expect(mfa.toSession({ xSessionToken: token })).resolves.toMatchObject({ data: { id: res.json.session.id, authenticator_assurance_level: 'aal2' } });
    expect(stepped.session.authenticator_assurance_level).toBe('aal2');
    expect(stepped.session.authentication_methods?.map((m) => `${m.method}:${m.aal}`)).toEqual(['password:aal1', 'code:aal2']);
  }, 60_000);

  it('checks each code in a span of its own (whether it matched), and puts no code in any span or log line of the instance', async () => {
    expect(mailed.length).toBeGreaterThanOrEqual(4);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const checks = udp.spans.filter((span) => span.name === 'code.verify').map((span) => `${span.tags['code.flow']}:${span.tags['code.valid']}`);
    expect(new Set(checks)).toEqual(new Set(['registration:false', 'registration:true', 'login:false', 'login:true']));
    const exported = JSON.stringify(udp.spans);
    expect(exported.length).toBeGreaterThan(1000);
    // startTracedOffline writes the instance's output beside the run's other artifacts, named by its port.
    const logFile = path.join(process.env.TEST_ARTIFACTS_DIR ?? '', `offline-${new URL(offline.baseUrl).port}.log`);
    const log = existsSync(logFile) ? readFileSync(logFile, 'utf8') : offline.output();
    expect(log).toContain('/self-service/login');
    for (const code of mailed) {
      const token = new RegExp(`(?<![0-9A-Za-z])${code}(?![0-9A-Za-z])`);
      expect([code, token.test(exported), token.test(log)]).toEqual([code, false, false]);
    }
  });
});
