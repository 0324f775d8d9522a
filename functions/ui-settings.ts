import { appConfig, appOwnSessions, appSessions, appSettings } from '../lib/app.js';
import { flowRequestOf } from '../lib/http/browser.js';
import { httpFunction } from '../lib/http/stack.js';
import type { Session } from '../lib/session/model.js';
import { flowPage } from '../lib/ui/pages.js';
import { signedInLookup } from '../lib/ui/services.js';

/** GET /ui/settings?flow=: the settings page of the self-service UI (without a flow, it starts one). */
export const handler = httpFunction({ route: '/ui/settings' }, async (request) => {
  const flows = await appSettings();
  const services = {
    get: flows.get,
    signedIn: signedInLookup(appSessions(), appConfig().publicBaseUrl),
    // The page's "Active sessions" card, from the session the page read already: one that may see settings may see its others.
    otherSessions: async (session: Session, now: Date) => (await appOwnSessions().othersOf(session, { page: 0, perPage: 50 }, now)).items,
  };
  return flowPage('settings', request, flowRequestOf(request), services, appConfig(), new Date());
});
