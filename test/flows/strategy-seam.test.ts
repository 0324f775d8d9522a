/**
 * The strategy seam: a method this build does not have, defined here in the test alone and handed to createApp, shows
 * up on the login and settings forms and handles their submits; not one line of a flow knows it.
 */
import type { Strategy } from '../../lib/flows/strategy.js';
import { input, submitNode } from '../../lib/flows/ui.js';
import { normalizeIdentifier } from '../../lib/identity/identifier.js';
import type { IdentityRepository } from '../../lib/identity/repository.js';
import { messages } from '../../lib/text/messages.js';
import { apiRequest, flowOf, memoryApp, messageIds, register, rejection } from '../support/flows.js';

/** A PIN as a login method (a toy: the PINs live in the strategy, not on the identity). */
function pinStrategy(identities: () => IdentityRepository): Strategy {
  const pins = new Map<string, string>();
  const label = { id: 9990001, text: 'PIN', type: 'info' as const };
  return {
    id: 'pin',
    group: 'pin',
    login: {
      aal: 'aal1',
      nodes: ({ values }) => [
        input('default', { name: 'identifier', type: 'text', value: typeof values.identifier === 'string' ? values.identifier : '', required: true }, messages.labelId()),
        input('pin', { name: 'pin', type: 'password', required: true }, label),
        submitNode('pin', 'pin', { id: 9990002, text: 'Sign in with a PIN', type: 'info' }),
      ],
      async authenticate({ body, fail }) {
        const id = typeof body.identifier === 'string' ? await identities().findIdByIdentifier(normalizeIdentifier(body.identifier)) : undefined;
        if (!id || pins.get(id) === undefined || pins.get(id) !== body.pin) throw fail([messages.invalidCredentials()]);
        return { identity: (await identities().get(id))! };
      },
    },
    settings: {
      nodes: () => [input('pin', { name: 'pin', type: 'password', required: true }, label), submitNode('pin', 'pin', messages.labelSave())],
      async update({ body, identity, fail }) {
        if (typeof body.pin !== 'string' || !/^\d{4,8}$/.test(body.pin)) throw fail([], { pin: [messages.required('pin')] });
        pins.set(identity.id, body.pin);
        return { identity };
      },
    },
  };
}

describe('a method added without changing a flow', () => {
  let identities: IdentityRepository;
  const { app, store } = memoryApp({}, { strategies: [pinStrategy(() => identities)] });
  identities = store.identities;

  it('appears on the login form after the built-in methods, sharing their identifier node', async () => {
    const flow = await app.login.init(apiRequest(), { refresh: false }, new Date());
    expect(flow.ui.nodes.map((n) => `${n.group}/${n.attributes.name}`)).toEqual(['default/csrf_token', 'default/identifier', 'password/password', 'password/method', 'pin/pin', 'pin/method']);
  });

  it('is set up in settings and then signs in, recorded as its own factor', async () => {
    const { email, token, identityId } = await register(app);
    const request = apiRequest({ sessionToken: token });
    const settings = await app.settings.init(request, new Date());
    expect(settings.ui.nodes.filter((n) => n.group === 'pin').map((n) => n.attributes.name)).toEqual(['pin', 'method']);
    const bad = await rejection(app.settings.submit(settings.id, { method: 'pin', pin: 'abc' }, request, new Date()));
    expect(messageIds(flowOf(bad))).toEqual(['pin:4000002']);
    await app.settings.submit(settings.id, { method: 'pin', pin: '2468' }, request, new Date());

    const flow = await app.login.init(apiRequest(), { refresh: false }, new Date());
    const wrong = await rejection(app.login.submit(flow.id, { method: 'pin', identifier: email, pin: '1357' }, apiRequest(), new Date()));
    expect(messageIds(flowOf(wrong))).toEqual([4000006]);
    const answer = await app.login.submit(flow.id, { method: 'pin', identifier: email, pin: '2468' }, apiRequest(), new Date());
    expect(answer.body).toMatchObject({ session: { identity: { id: identityId }, authentication_methods: [{ method: 'pin', aal: 'aal1' }] } });
  });
});
