import { appConfig } from '../lib/app.js';
import { preflight } from '../lib/http/cors.js';
import { httpFunction } from '../lib/http/stack.js';

/** OPTIONS on any path: the CORS preflight, answered from SERVE_PUBLIC_CORS_* (no grant when CORS is off, nor for /admin). */
export const handler = httpFunction({ route: '/{proxy+}' }, async (request) => {
  const config = appConfig();
  return preflight(config.browser.cors, request.headers, new URL(config.publicBaseUrl).origin, request.path);
});
