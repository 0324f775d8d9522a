import { appRegistration } from '../lib/app.js';
import { httpFunction } from '../lib/http/stack.js';

/** GET /self-service/registration/flows?id=: a registration flow by id. */
export const handler = httpFunction({ route: '/self-service/registration/flows' }, async (request) => ({
  status: 200,
  body: await appRegistration().get(request.query.id, new Date()),
}));
