import { listSchemas } from '../lib/identity/schema.js';
import { httpFunction } from '../lib/http/stack.js';

/** GET /schemas: the identity schemas in use, `[{id, schema}]`. */
export const handler = httpFunction({ route: '/schemas' }, async () => ({ status: 200, body: listSchemas() }));
