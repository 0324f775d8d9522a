import { appErrors } from '../lib/app.js';
import { getSelfServiceError } from '../lib/flows/errors.js';
import { httpFunction } from '../lib/http/stack.js';

/** GET /self-service/errors?id=: an error a browser was sent to the error UI with (and Kratos's `stub:500`). */
export const handler = httpFunction({ route: '/self-service/errors' }, async (request) => ({
  status: 200,
  body: await getSelfServiceError(appErrors(), request.query.id, new Date()),
}));
