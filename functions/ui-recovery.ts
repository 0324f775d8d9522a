import { appConfig, appRecovery, appSessions } from '../lib/app.js';
import { flowRequestOf } from '../lib/http/browser.js';
import { httpFunction } from '../lib/http/stack.js';
import { flowPage } from '../lib/ui/pages.js';
import { signedInLookup } from '../lib/ui/services.js';

/** GET /ui/recovery?flow=: the recovery page of the self-service UI (without a flow, it starts one). */
export const handler = httpFunction({ route: '/ui/recovery' }, async (request) => {
  const flows = await appRecovery();
  const services = { get: flows.get, signedIn: signedInLookup(appSessions(), appConfig().publicBaseUrl) };
  return flowPage('recovery', request, flowRequestOf(request), services, appConfig(), new Date());
});
