import { appSchemas } from '../lib/app.js';
import { httpFunction } from '../lib/http/stack.js';

/** GET /schemas: every configured identity schema, `[{id, schema}]`. */
export const handler = httpFunction({ route: '/schemas' }, async () => ({
  status: 200,
  body: (await appSchemas()).list().map((schema) => ({ id: schema.id, schema: schema.document })),
}));
