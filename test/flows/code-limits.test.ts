/** Code mails are bounded: per flow, per address (known or not), per client. In-process on the memory store. */
import { newCsrfToken } from '../../lib/flows/csrf.js';
import { apiRequest, browserRequest, flowOf, memoryApp, messageIds, register, rejection, uniqueEmail } from '../support/flows.js';

describe('code mails', () => {
  /** Recovery mails to `to` (registration's verification mail is the verifier's, not a request). */
  const mailsTo = (store: ReturnType<typeof memoryApp>['store'], to: string) => [...store.tables.messages.values()].filter((m) => m.recipient === to && m.templateType.startsWith('recovery')).length;

  it('are at most 3 per flow: then the flow says so, and sends nothing more', async () => {
    const { app, store } = memoryApp();
    const { email } = await register(app);
    const flow = (await app.recovery.init('api', apiRequest(), undefined, new Date())).body as { id: string };
    for (let i = 0; i < 3; i++) await app.recovery.submit(flow.id, { method: 'code', email }, apiRequest(), new Date());
    const fourth = await rejection(app.recovery.submit(flow.id, { method: 'code', email }, apiRequest(), new Date()));
    expect(messageIds(flowOf(fourth))).toEqual([4000001]);
    expect(flowOf(fourth).ui.messages![0].text).toMatch(/as many codes as it may/);
    expect(mailsTo(store, email)).toBe(3);
  });

  it('are at most 5 an hour to one address, known or not: then 429 with Retry-After, or a message on a browser flow', async () => {
    const { app, store } = memoryApp();
    const { email } = await register(app);
    const unknown = uniqueEmail('nobody');
    for (const address of [email, unknown]) {
      for (let i = 0; i < 5; i++) {
        const flow = (await app.recovery.init('api', apiRequest({ ipAddress: `198.51.100.${i}` }), undefined, new Date())).body as { id: string };
        await app.recovery.submit(flow.id, { method: 'code', email: address }, apiRequest({ ipAddress: `198.51.100.${i}` }), new Date());
      }
      const flow = (await app.recovery.init('api', apiRequest(), undefined, new Date())).body as { id: string };
      const refused = await rejection(app.recovery.submit(flow.id, { method: 'code', email: address }, apiRequest({ ipAddress: '198.51.100.99' }), new Date()));
      expect(refused).toMatchObject({ status: 429, name: 'CodeRequestsThrottledError' });
      expect(Number((refused as unknown as { headers: Record<string, string> }).headers['Retry-After'])).toBeGreaterThan(0);
    }
    expect(mailsTo(store, email)).toBe(5);
    expect(mailsTo(store, unknown)).toBe(0);

    const cookie = newCsrfToken();
    const started = await app.verification.init('browser', browserRequest(cookie), undefined, new Date());
    const flowId = new URL(started.location!).searchParams.get('flow')!;
    for (let i = 0; i < 5; i++) {
      const fresh = uniqueEmail('verify');
      const own = await app.verification.init('api', apiRequest({ ipAddress: `203.0.113.${i}` }), undefined, new Date());
      await app.verification.submit((own.body as { id: string }).id, { method: 'code', email: fresh }, apiRequest({ ipAddress: `203.0.113.${i}` }), new Date());
      if (i === 0) {
        for (let j = 0; j < 4; j++) {
          const more = await app.verification.init('api', apiRequest({ ipAddress: `203.0.113.${50 + j}` }), undefined, new Date());
          await app.verification.submit((more.body as { id: string }).id, { method: 'code', email: fresh }, apiRequest({ ipAddress: `203.0.113.${50 + j}` }), new Date());
        }
        const answer = await app.verification.submit(flowId, { method: 'code', email: fresh, csrf_token: cookie }, browserRequest(cookie), new Date());
        expect(answer.status).toBe(303);
        expect((await store.flows.get(flowId))?.ui?.messages.map((m) => m.text)).toEqual([expect.stringMatching(/^Too many codes were requested/)]);
      }
    }
  });

  it('are at most 20 requests an hour from one client address, across addresses', async () => {
    const { app } = memoryApp();
    const client = apiRequest({ ipAddress: '192.0.2.44' });
    for (let i = 0; i < 20; i++) {
      const flow = (await app.recovery.init('api', client, undefined, new Date())).body as { id: string };
      await app.recovery.submit(flow.id, { method: 'code', email: uniqueEmail('spread') }, client, new Date());
    }
    const flow = (await app.recovery.init('api', client, undefined, new Date())).body as { id: string };
    await expect(rejection(app.recovery.submit(flow.id, { method: 'code', email: uniqueEmail('spread') }, client, new Date()))).resolves.toMatchObject({ status: 429 });
    const other = apiRequest({ ipAddress: '192.0.2.45' });
    const theirs = (await app.recovery.init('api', other, undefined, new Date())).body as { id: string };
    expect((await app.recovery.submit(theirs.id, { method: 'code', email: uniqueEmail('spread') }, other, new Date())).status).toBe(200);
  });
});
