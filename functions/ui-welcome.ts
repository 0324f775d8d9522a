import { appConfig, appSessions } from '../lib/app.js';
import { flowRequestOf } from '../lib/http/browser.js';
import { httpFunction } from '../lib/http/stack.js';
import { welcomePage } from '../lib/ui/pages.js';
import { signedInLookup } from '../lib/ui/services.js';

/** GET /ui/welcome: the self-service UI's home: who is signed in, or the ways in. */
export const handler = httpFunction({ route: '/ui/welcome' }, async (request) => {
  const now = new Date();
  const signedIn = await signedInLookup(appSessions(), appConfig().publicBaseUrl)(flowRequestOf(request), now);
  return welcomePage(signedIn, appConfig(), now);
});
