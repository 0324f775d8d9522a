import { appConfig, appVerification, appSessions } from '../lib/app.js';
import { flowRequestOf } from '../lib/http/browser.js';
import { httpFunction } from '../lib/http/stack.js';
import { flowPage } from '../lib/ui/pages.js';
import { signedInLookup } from '../lib/ui/services.js';

/** GET /ui/verification?flow=: the verification page of the self-service UI (without a flow, it starts one). */
export const handler = httpFunction({ route: '/ui/verification' }, async (request) => {
  const flows = await appVerification();
  const services = { get: flows.get, signedIn: signedInLookup(appSessions(), appConfig().publicBaseUrl) };
  return flowPage('verification', request, flowRequestOf(request), services, appConfig(), new Date());
});
