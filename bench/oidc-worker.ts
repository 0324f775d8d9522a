/**
 * The benchmark worker for social sign-in: a real OpenID provider (oidc-provider, as in the tests) in this process,
 * and the functions' handlers invoked as Lambda would, traced to the parent's Zipkin sink. One command: a browser's
 * registration through the provider, then a second sign-in of the same account, each step's trace id returned. (One
 * process serves every function here, so the provider's metadata and keys are fetched once; on Lambda each function's
 * cold start fetches its own.)
 */
import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import { CLIENT_ID, CLIENT_SECRET, startTestProvider } from '../test/support/oidc-provider.js';
import { httpEvent, lambdaContext, type EventOptions, type LambdaHandler } from './lib/lambda.js';
import { PROTOCOL_PREFIX } from './lib/workers.js';

const BASE = 'https://id.example.com';
const MAPPER = `local claims = std.extVar('claims'); { identity: { traits: { email: claims.email } } }`;

interface Answer {
  status: number;
  json: any;
  traceId?: string;
  location?: string;
  cookies: string[];
}

async function invoke(name: string, method: string, path: string, options: EventOptions & { pathParameters?: Record<string, string> } = {}): Promise<Answer> {
  const { handler } = (await import(`../functions/${name}.js`)) as { handler: LambdaHandler };
  const event = { ...httpEvent(method, path, options), ...(options.pathParameters ? { pathParameters: options.pathParameters } : {}) };
  const result = (await handler(event, lambdaContext(name))) as Awaited<ReturnType<LambdaHandler>> & { cookies?: string[] };
  const traceresponse = result.headers?.traceresponse;
  return {
    status: result.statusCode,
    json: result.body ? JSON.parse(result.body) : undefined,
    traceId: typeof traceresponse === 'string' ? traceresponse.split('-')[1] : undefined,
    location: typeof result.headers?.location === 'string' ? result.headers.location : undefined,
    cookies: result.cookies ?? [],
  };
}

const expectStatus = (answer: Answer, status: number, what: string) => {
  if (answer.status !== status) throw new Error(`${what} answered ${answer.status}, expected ${status}: ${JSON.stringify(answer.json)}`);
  return answer;
};

async function main() {
  const provider = await startTestProvider([`${BASE}/self-service/methods/oidc/callback/bench`]);
  // Before the first handler reads its configuration.
  Object.assign(process.env, {
    SELFSERVICE_METHODS_OIDC_ENABLED: 'true',
    SELFSERVICE_METHODS_OIDC_CONFIG_PROVIDERS: JSON.stringify([
      { id: 'bench', provider: 'generic', client_id: CLIENT_ID, issuer_url: provider.issuer, mapper_url: `base64://${Buffer.from(MAPPER).toString('base64')}`, scope: ['email'] },
    ]),
    SELFSERVICE_METHODS_OIDC_CONFIG_CLIENT_SECRETS: JSON.stringify({ bench: CLIENT_SECRET }),
    SELFSERVICE_FLOWS_REGISTRATION_AFTER_OIDC_HOOKS: '[{"hook":"session"}]',
  });

  /** One browser signing in through the provider from a new flow of `type`: the trace ids of its two requests. */
  async function signIn(type: 'registration' | 'login') {
    const init = expectStatus(await invoke(`${type}-browser-init`, 'GET', `/self-service/${type}/browser`, { headers: { accept: 'application/json' } }), 200, `${type} browser init`);
    const cookie = init.cookies.map((c) => c.split(';')[0]).join('; ');
    const csrf = init.json.ui.nodes.find((n: { attributes: { name: string } }) => n.attributes.name === 'csrf_token').attributes.value;
    const submit = expectStatus(
      await invoke(`${type}-submit`, 'POST', `/self-service/${type}`, { query: { flow: init.json.id }, body: { method: 'oidc', provider: 'bench', csrf_token: csrf }, headers: { cookie, accept: 'application/json' } }),
      422,
      `${type} submit`,
    );
    const back = await provider.authorize(submit.json.redirect_browser_to);
    const callback = expectStatus(
      await invoke('oidc-callback', 'GET', '/self-service/methods/oidc/callback/bench', { query: Object.fromEntries(back.searchParams), headers: { cookie }, pathParameters: { provider: 'bench' } }),
      303,
      'callback',
    );
    if (!callback.cookies.some((c) => c.startsWith('ory_kratos_session='))) throw new Error(`the callback signed nobody in: ${callback.location}`);
    return { submit: submit.traceId ?? '', callback: callback.traceId ?? '' };
  }

  const commands: Record<string, () => Promise<unknown>> = {
    'oidc-round-trips': async () => {
      provider.signInAs({ sub: randomUUID(), email: `bench-oidc-${randomUUID().slice(0, 8)}@example.com`, email_verified: true });
      const first = await signIn('registration');
      const again = await signIn('login');
      return {
        'oidc submit (to the provider, cold: discovery)': first.submit,
        'oidc callback, new account': first.callback,
        'oidc callback, known account': again.callback,
      };
    },
  };

  const answer = (message: Record<string, unknown>) => process.stdout.write(`${PROTOCOL_PREFIX}${JSON.stringify(message)}\n`);
  let queue = Promise.resolve();
  const lines = createInterface({ input: process.stdin });
  lines.on('close', () => void queue.then(async () => {
    await provider.close();
    process.exit(0);
  }));
  lines.on('line', (line) => {
    const { id, cmd } = JSON.parse(line) as { id: number; cmd: string };
    queue = queue.then(async () => {
      try {
        const command = commands[cmd];
        if (!command) throw new Error(`unknown command ${cmd}`);
        answer({ id, ok: true, result: await command() });
      } catch (error) {
        answer({ id, ok: false, error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
      }
    });
  });
}

void main();
