import { NotFoundError } from '../lib/errors/index.js';
import { findSchema } from '../lib/identity/schema.js';
import { httpFunction } from '../lib/http/stack.js';

/** GET /schemas/{id}: one identity schema (the id, or its base64url as in an identity's `schema_url`). */
export const handler = httpFunction({ route: '/schemas/{id}' }, async (request) => {
  const schema = findSchema(request.params.id ?? '');
  if (!schema) throw new NotFoundError('Unable to locate the resource');
  return { status: 200, body: schema };
});
