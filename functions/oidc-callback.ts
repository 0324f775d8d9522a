import { appConfig, appOidcCallback } from '../lib/app.js';
import { NotFoundError } from '../lib/errors/index.js';
import { flowRequestOf, requireCookieSecret, respond } from '../lib/http/browser.js';
import { parseBody } from '../lib/http/request.js';
import { httpFunction } from '../lib/http/stack.js';

/**
 * GET|POST /self-service/methods/oidc/callback/{provider}: a provider sends the browser back here. A POST (Apple's
 * form_post) is answered 302 to the same URL as a GET with its fields as the query (as Kratos): a cross-site POST
 * carries no SameSite=Lax cookie, the GET it turns into does.
 */
export const handler = httpFunction({ route: '/self-service/methods/oidc/callback/{provider}', coldStart: requireCookieSecret }, async (request) => {
  if (!appConfig().selfservice.enabledMethods.includes('oidc')) throw new NotFoundError();
  const provider = request.params.provider ?? '';
  if (request.method === 'POST') {
    const fields = new URLSearchParams();
    for (const [name, value] of Object.entries(parseBody(request))) if (typeof value === 'string') fields.set(name, value);
    const base = `${appConfig().oidc.baseRedirectUri}/self-service/methods/oidc/callback/${encodeURIComponent(provider)}`;
    return { status: 302, headers: { location: `${base}?${fields.toString()}` } };
  }
  const params = new URLSearchParams(request.query);
  return respond(await (await appOidcCallback()).handle(provider, params, flowRequestOf(request), new Date()));
});
