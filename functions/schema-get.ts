import { appSchemas } from '../lib/app.js';
import { NotFoundError } from '../lib/errors/index.js';
import { httpFunction } from '../lib/http/stack.js';

/** GET /schemas/{id}: one identity schema, by id or by its base64url (as an identity's `schema_url` has it). */
export const handler = httpFunction({ route: '/schemas/{id}' }, async (request) => {
  const schema = (await appSchemas()).find(request.params.id ?? '');
  if (!schema) throw new NotFoundError('Unable to locate the resource');
  return { status: 200, body: schema.document };
});
