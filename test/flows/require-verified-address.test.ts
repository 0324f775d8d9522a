/**
 * Kratos's `require_verified_address` login hook in-process: an unverified identity is not signed in (no session
 * written), is sent a verification code, and is answered as Kratos answers (403 with the verification flow in
 * continue_with; a browser's form post 303 to the verification UI); once its address is verified it signs in.
 */
import { AddressNotVerifiedError } from '../../lib/errors/index.js';
import { apiRequest, browserRequest, lastCodeTo, memoryApp, PASSWORD, register, rejection } from '../support/flows.js';

const ENV = { SELFSERVICE_FLOWS_LOGIN_AFTER_HOOKS: '[{"hook":"require_verified_address"}]' };

describe('require_verified_address', () => {
  it('refuses an unverified identity with a code sent and no session, then signs it in once verified', async () => {
    const { app, store } = memoryApp(ENV);
    const { email } = await register(app);
    const sessionsBefore = store.tables.sessions.size;
    const flow = await app.login.init(apiRequest(), { refresh: false }, new Date());
    const error = await rejection(app.login.submit(flow.id, { method: 'password', identifier: email, password: PASSWORD }, apiRequest(), new Date()));
    expect(error).toBeInstanceOf(AddressNotVerifiedError);
    const refused = error as unknown as AddressNotVerifiedError;
    expect(refused.status).toBe(403);
    expect(refused.body()).toMatchObject({
      error: { id: 'session_verified_address_required', code: 403, details: { continue_with: [{ action: 'show_verification_ui', flow: { id: expect.any(String), verifiable_address: email } }] } },
    });
    expect(store.tables.sessions.size).toBe(sessionsBefore);

    // The code mailed verifies the address through the verification flow named; the login then succeeds.
    const verificationId = (refused.details!.continue_with as { flow: { id: string } }[])[0].flow.id;
    const code = lastCodeTo(store, email);
    const verified = await app.verification.submit(verificationId, { method: 'code', code }, apiRequest(), new Date());
    expect(verified.status).toBe(200);
    const again = await app.login.init(apiRequest(), { refresh: false }, new Date());
    const answer = await app.login.submit(again.id, { method: 'password', identifier: email, password: PASSWORD }, apiRequest(), new Date());
    expect(answer.status).toBe(200);
  });

  it("sends a browser's form post to the verification UI", async () => {
    const { app } = memoryApp(ENV);
    const { email } = await register(app);
    const request = browserRequest();
    const flow = await app.login.initBrowser(request, { refresh: false }, new Date());
    const id = new URL(flow.location!).searchParams.get('flow')!;
    const read = await app.login.get(id, request, new Date());
    const csrf = (read.ui.nodes.find((n) => (n.attributes as { name?: string }).name === 'csrf_token')!.attributes as { value: string }).value;
    const answer = await app.login.submit(id, { method: 'password', identifier: email, password: PASSWORD, csrf_token: csrf }, request, new Date());
    expect(answer.status).toBe(303);
    expect(answer.location).toMatch(/\/verification\?flow=[0-9a-f-]{36}$/);
  });
});
