/**
 * An example of a customer's function behind API Gateway's JWT authorizer (serverless.yml, `kratosSession`): API
 * Gateway has verified the session JWT (signature against our published keys, issuer, audience, expiry) before this
 * runs, and passes its claims; nothing of ours is invoked to check the session. It echoes them. Imports nothing.
 */
interface AuthorizedEvent {
  requestContext?: { authorizer?: { jwt?: { claims?: Record<string, unknown>; scopes?: string[] | null } } };
}

export const handler = async (event: AuthorizedEvent) => {
  const claims = event.requestContext?.authorizer?.jwt?.claims;
  return {
    statusCode: claims ? 200 : 401,
    headers: { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'private, no-store' },
    body: JSON.stringify(claims ? { subject: claims.sub ?? null, session_id: claims.sid ?? null, claims } : { error: { code: 401, status: 'Unauthorized', message: 'No verified session JWT' } }),
  };
};
