import { appConfig, appSessions, appTokenizer } from '../lib/app.js';
import { sessionTokenOf } from '../lib/http/browser.js';
import { httpFunction } from '../lib/http/stack.js';
import { sessionView } from '../lib/session/model.js';

/**
 * GET /sessions/whoami: the session of X-Session-Token, the session cookie, or Authorization: Bearer (in that order);
 * with `?tokenize_as=<template>`, also as a signed JWT (`tokenized`).
 */
export const handler = httpFunction({ route: '/sessions/whoami' }, async (request) => {
  const now = new Date();
  const session = await appSessions().whoami(sessionTokenOf(request, appConfig(), now), now, request.query.return_to);
  const template = request.query.tokenize_as;
  const tokenized = template ? await appTokenizer().tokenize(template, session, now) : undefined;
  return {
    status: 200,
    headers: { 'X-Kratos-Authenticated-Identity-Id': session.identityId },
    body: { ...sessionView(session, now, appConfig().publicBaseUrl), ...(tokenized ? { tokenized } : {}) },
  };
});
