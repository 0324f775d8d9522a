/**
 * The JWT authorizer's path, counted: a session's JWT (whoami?tokenize_as=) presented to the example route behind
 * API Gateway's JWT authorizer (serverless.yml, `kratosSession`; serverless-offline checks issuer, audience and expiry
 * as API Gateway does, the signature being API Gateway's to check against our published keys). Every invocation of
 * one of our functions exports its root span to the Jaeger agent: the datagrams that arrive while the route is called
 * are the invocations of ours on that path (the example function imports nothing of ours). A few whoami calls after
 * it show the count works.
 */
import { generateKeyPairSync } from 'node:crypto';
import { freePort } from '../scripts/dynamodb-local.js';
import { startOffline } from '../scripts/local-stack.js';
import { PASSWORD, TABLE, functionEnv } from './lib/env.js';
import { udpSink } from './lib/sinks.js';

export interface AuthorizerPath {
  requests: number;
  /** Answers 200 from the example route. */
  ok: number;
  /** Invocations of our functions while the route was called (root spans exported). */
  ourInvocations: number;
  /** The same count for as many whoami calls (the control: each is one). */
  controlInvocations: number;
}

const AUDIENCE = 'bench-session';
const settle = () => new Promise((resolve) => setTimeout(resolve, 300));

export async function runAuthorizerPath(dynamoEndpoint: string, requests: number): Promise<AuthorizerPath> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const agent = await udpSink();
  const key = { ...generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' }), kid: 'bench', alg: 'RS256' };
  const b64 = (text: string) => `base64://${Buffer.from(text).toString('base64')}`;
  const offline = await startOffline({
    port,
    env: {
      ...functionEnv(dynamoEndpoint),
      DYNAMODB_TABLE_NAME: TABLE,
      SERVE_PUBLIC_BASE_URL: base,
      LOG_LEVEL: 'error',
      TRACING_PROVIDER: 'jaeger',
      TRACING_PROVIDERS_JAEGER_LOCAL_AGENT_ADDRESS: `127.0.0.1:${agent.port}`,
      JWT_AUTHORIZER_AUDIENCE: AUDIENCE,
      SESSION_WHOAMI_TOKENIZER_TEMPLATES: JSON.stringify({ api: { ttl: '10m', jwks_url: b64(JSON.stringify({ keys: [key] })), claims_mapper_url: b64(`{ claims: { aud: '${AUDIENCE}' } }`) } }),
    },
  });
  try {
    const flow = (await (await fetch(`${base}/self-service/registration/api`)).json()) as { id: string };
    const registered = await fetch(`${base}/self-service/registration?flow=${flow.id}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ method: 'password', password: PASSWORD, traits: { email: `bench-jwt-${Date.now()}@example.com` } }),
    });
    const { session_token: token } = (await registered.json()) as { session_token: string };
    const whoami = () => fetch(`${base}/sessions/whoami?tokenize_as=api`, { headers: { 'X-Session-Token': token } });
    const { tokenized } = (await (await whoami()).json()) as { tokenized: string };
    await settle();

    const before = agent.datagrams;
    let ok = 0;
    for (let i = 0; i < requests; i++) {
      const res = await fetch(`${base}/example/session-claims`, { headers: { Authorization: `Bearer ${tokenized}` } });
      await res.text();
      if (res.status === 200) ok++;
    }
    await settle();
    const ourInvocations = agent.datagrams - before;

    const controlStart = agent.datagrams;
    const control = Math.min(requests, 10);
    for (let i = 0; i < control; i++) await (await whoami()).text();
    await settle();
    return { requests, ok, ourInvocations, controlInvocations: agent.datagrams - controlStart };
  } finally {
    await offline.stop();
    await agent.close();
  }
}
