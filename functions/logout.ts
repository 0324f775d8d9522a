import { appSessions } from '../lib/app.js';
import { parseBody } from '../lib/http/request.js';
import { httpFunction } from '../lib/http/stack.js';

/** DELETE /self-service/logout/api with {session_token}: revokes the session (204). */
export const handler = httpFunction({ route: '/self-service/logout/api' }, async (request) => {
  await appSessions().logout(parseBody(request).session_token);
  return { status: 204 };
});
