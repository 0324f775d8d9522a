/**
 * A Lambda timeout is never a success, and a cold burst does not time out: the reproduction of issue 20 §1 run as
 * written, on stacks started fresh for it (serverless-offline behind the local gateway, as npm start serves).
 */
import type { RunningOffline } from '../../scripts/local-stack.js';
import { call, GOOD_PASSWORD, uniqueEmail } from '../support/http.js';
import { expectMatchesSchema } from '../support/openapi.js';
import { startTracedOffline } from '../support/traced-stack.js';

/** npm start's own bcrypt cost (12), not the tests' 4: the burst is as heavy as a user's. */
const AS_NPM_START = { HASHERS_BCRYPT_COST: '' };

async function withFreshStack<T>(env: Record<string, string>, run: (base: string) => Promise<T>): Promise<T> {
  let offline: RunningOffline | undefined;
  try {
    offline = await startTracedOffline(env);
    return await run(offline.baseUrl);
  } finally {
    await offline?.stop();
  }
}

describe('a cold burst on a freshly started stack', () => {
  for (const round of [1, 2, 3]) {
    it(`30 concurrent registrations of one address (round ${round}): one 200 whose session works, 29 × 400 (4000007), no 5xx`, async () => {
      await withFreshStack(AS_NPM_START, async (base) => {
        const email = uniqueEmail(`burst-${round}`);
        const flows: string[] = [];
        for (let i = 0; i < 30; i += 1) flows.push((await call(base, 'GET', '/self-service/registration/api')).json.id);
        const answers = await Promise.all(
          flows.map((flow) => call(base, 'POST', `/self-service/registration?flow=${flow}`, { json: { method: 'password', password: GOOD_PASSWORD, traits: { email } } })),
        );
        const statuses = answers.map((a) => a.status);
        expect(statuses.filter((s) => s >= 500)).toEqual([]);
        expect(statuses.filter((s) => s === 200)).toHaveLength(1);
        const refused = answers.filter((a) => a.status === 400);
        expect(refused).toHaveLength(29);
        for (const answer of refused) expect(answer.json.ui.messages.map((m: { id: number }) => m.id)).toEqual([4000007]);
        const winner = answers.find((a) => a.status === 200)!;
        const whoami = await call(base, 'GET', '/sessions/whoami', { headers: { 'X-Session-Token': winner.json.session_token } });
        expect([whoami.status, whoami.json.identity.traits.email]).toEqual([200, email]);
      });
    }, 180_000);
  }
});

describe('a function that runs past its timeout', () => {
  it('is answered 504 in Kratos’s envelope, never 200, never a stack trace', async () => {
    // bcrypt at cost 18 takes far longer than the 10 s function timeout.
    await withFreshStack({ HASHERS_BCRYPT_COST: '18' }, async (base) => {
      const flow = await call(base, 'GET', '/self-service/registration/api');
      const res = await call(base, 'POST', `/self-service/registration?flow=${flow.json.id}`, { json: { method: 'password', password: GOOD_PASSWORD, traits: { email: uniqueEmail('timeout') } } });
      expect(res.status).toBe(504);
      expectMatchesSchema('errorGeneric', res.json);
      expect(res.json).toEqual({ error: { code: 504, status: 'Gateway Timeout', reason: 'The function did not answer within its timeout.', message: 'Gateway Timeout' } });
      // The stack goes on serving.
      expect((await call(base, 'GET', '/self-service/registration/api')).status).toBe(200);
    });
  }, 120_000);
});
