/**
 * A user's own sessions over the wire with the official SDK's FrontendApi (Kratos's `GET /sessions`,
 * `DELETE /sessions`, `DELETE /sessions/{id}`): the other active sessions newest first with Kratos's paging, one ended,
 * the current one refused, all the others ended.
 */
import { Configuration, FrontendApi } from '@ory/kratos-client';
import { baseUrl } from '../support/env.js';
import { failure, GOOD_PASSWORD, links, registerVia, uniqueEmail } from '../support/http.js';
import { expectMatchesSchema } from '../support/openapi.js';

const api = () => new FrontendApi(new Configuration({ basePath: baseUrl() }));

async function signIn(email: string): Promise<{ token: string; id: string }> {
  const flow = (await api().createNativeLoginFlow()).data;
  const { data } = await api().updateLoginFlow({ flow: flow.id, updateLoginFlowBody: { method: 'password', identifier: email, password: GOOD_PASSWORD } });
  return { token: data.session_token!, id: data.session.id };
}

describe('own sessions', () => {
  it('lists the other sessions newest first, pages them, ends one, refuses the current one, ends the rest', async () => {
    const { email, token } = await registerVia(baseUrl(), uniqueEmail('own-sessions'));
    const current = (await api().toSession({ xSessionToken: token })).data.id;
    const older = await signIn(email);
    const newer = await signIn(email);

    const listed = await api().listMySessions({ xSessionToken: token });
    expect(listed.data.map((s) => s.id)).toEqual([newer.id, older.id]);
    expect(listed.headers['x-total-count']).toBe('2');
    for (const session of listed.data) expectMatchesSchema('session', session);
    const first = await api().listMySessions({ xSessionToken: token, pageSize: 1 });
    expect(first.data.map((s) => s.id)).toEqual([newer.id]);
    const next = links(first.headers.link as string).next;
    expect(new URL(next).searchParams.get('page_token')).toBe('1');
    expect((await api().listMySessions({ xSessionToken: token, pageSize: 1, pageToken: '1' })).data.map((s) => s.id)).toEqual([older.id]);

    expect((await api().disableMySession({ id: older.id, xSessionToken: token })).status).toBe(204);
    expect((await failure(api().toSession({ xSessionToken: older.token }))).status).toBe(401);
    const own = await failure(api().disableMySession({ id: current, xSessionToken: token }));
    expect(own.status).toBe(400);
    expectMatchesSchema('errorGeneric', own.data);
    expect((await failure(api().disableMySession({ id: 'not-a-uuid', xSessionToken: token }))).status).toBe(400);
    // Someone else's session, or none: nothing happens, as Kratos answers.
    const stranger = await registerVia(baseUrl(), uniqueEmail('own-sessions-other'));
    const strangerId = (await api().toSession({ xSessionToken: stranger.token })).data.id;
    expect((await api().disableMySession({ id: strangerId, xSessionToken: token })).status).toBe(204);
    expect((await api().toSession({ xSessionToken: stranger.token })).status).toBe(200);

    const ended = await api().disableMyOtherSessions({ xSessionToken: token });
    expect(ended.data).toEqual({ count: 1 });
    expect((await api().listMySessions({ xSessionToken: token })).data).toEqual([]);
    expect((await api().toSession({ xSessionToken: token })).data.id).toBe(current);
  });

  it('answers 401 without a session', async () => {
    expect((await failure(api().listMySessions())).status).toBe(401);
    expect((await failure(api().disableMyOtherSessions())).status).toBe(401);
    expect((await failure(api().disableMySession({ id: '00000000-0000-4000-8000-000000000000' }))).status).toBe(401);
  });
});
