import { appConfig } from '../lib/app.js';
import { NotFoundError } from '../lib/errors/index.js';
import { httpFunction } from '../lib/http/stack.js';
import { wellKnownDocument } from '../lib/session/well-known.js';

/**
 * GET /.well-known/jwks.json (the public keys of the session tokenizer's templates) and
 * GET /.well-known/openid-configuration (the issuer and that key set, where API Gateway's JWT authorizer looks).
 */
export const handler = httpFunction({ route: '/.well-known/{document}' }, async (request) => {
  const document = wellKnownDocument(request.params.document ?? '', appConfig().tokenizer, appConfig().publicBaseUrl);
  if (!document) throw new NotFoundError('Unable to locate the resource');
  // Verifiers may keep the keys a while; a rotation publishes the new key before it signs (README, "Session JWTs").
  return { status: 200, headers: { 'Cache-Control': 'public, max-age=300' }, body: document };
});
