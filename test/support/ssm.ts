/**
 * A local SSM Parameter Store speaking the AWS JSON 1.1 protocol, as far as the functions use it: GetParameter of a
 * SecureString, decrypted only when asked (WithDecryption), ParameterNotFound for a missing one, and failures on
 * demand. The AWS SDK reaches it through AWS_ENDPOINT_URL_SSM (see `sdkEnv`).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SsmServer {
  url: string;
  /** The parameters it holds, by name. */
  parameters: Map<string, string>;
  /** Every GetParameter asked, in order: the name and whether decryption was asked. */
  requests: { name: string; withDecryption: boolean }[];
  /** Answers the next `count` requests with a 500 (the SDK retries a 500: three attempts make one failed read). */
  failNext(count: number): void;
  /** What a process needs for the AWS SDK's SSM client to use this server. */
  sdkEnv(): Record<string, string>;
  close(): Promise<void>;
}

export async function startSsmServer(parameters: Record<string, string> = {}): Promise<SsmServer> {
  const held = new Map(Object.entries(parameters));
  const requests: SsmServer['requests'] = [];
  let failures = 0;
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      const answer = (status: number, payload: unknown) => {
        res.writeHead(status, { 'Content-Type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify(payload));
      };
      if (req.method !== 'POST' || req.headers['x-amz-target'] !== 'AmazonSSM.GetParameter') {
        return answer(400, { __type: 'InvalidAction', message: `not served here: ${req.headers['x-amz-target']}` });
      }
      const { Name, WithDecryption } = JSON.parse(body) as { Name: string; WithDecryption?: boolean };
      requests.push({ name: Name, withDecryption: WithDecryption === true });
      if (failures > 0) {
        failures--;
        return answer(500, { __type: 'InternalServerError', message: 'the local store failed on purpose' });
      }
      const value = held.get(Name);
      if (value === undefined) return answer(400, { __type: 'ParameterNotFound', message: `Parameter ${Name} not found.` });
      answer(200, {
        Parameter: {
          Name,
          Type: 'SecureString',
          // Without decryption Parameter Store hands back the ciphertext, never the value.
          Value: WithDecryption ? value : Buffer.from(`ciphertext:${Name}`).toString('base64'),
          Version: 1,
          ARN: `arn:aws:ssm:us-east-1:000000000000:parameter${Name.startsWith('/') ? '' : '/'}${Name}`,
        },
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    parameters: held,
    requests,
    failNext: (count) => void (failures = count),
    sdkEnv: () => ({ AWS_ENDPOINT_URL_SSM: url, AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local', AWS_REGION: 'us-east-1' }),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * For the suites whose functions read a secret from Parameter Store: a local server holding `parameters`, and
 * process.env pointing the functions at it (`unset` removed, `env` added) from beforeAll to afterAll, then restored.
 */
export function useSsmParameters(parameters: Record<string, string>, env: () => Record<string, string>, unset: string[]): () => SsmServer {
  let ssm: SsmServer;
  const saved = { ...process.env };
  beforeAll(async () => {
    ssm = await startSsmServer(parameters);
    for (const name of unset) delete process.env[name];
    Object.assign(process.env, ssm.sdkEnv(), env());
  });
  afterAll(async () => {
    for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
    Object.assign(process.env, saved);
    await ssm.close();
  });
  return () => ssm;
}
