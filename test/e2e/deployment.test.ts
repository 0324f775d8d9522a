/**
 * What `serverless deploy` would create, checked on the CloudFormation template `serverless package` writes (no AWS
 * needed): each function's environment holds exactly the secrets its bundle uses and its role exactly the Parameter
 * Store grants of those, the table is protected, and cfn-lint finds nothing. What a bundle uses is read from esbuild's
 * metafile: the modules left in it after tree shaking. (Which DynamoDB actions each role needs is checked against what
 * the end-to-end suite's functions really call: test/support/global-teardown.ts.)
 */
import { build } from 'esbuild';
import JSZip from 'jszip';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parameterVariable, SECRETS } from '../../lib/config/secrets.js';
import { UNTRACED_ROUTES } from '../../lib/tracing/middleware.js';
import { PROJECT_ROOT } from '../../scripts/local-stack.js';
import { FILES_APART_NAMES, FUNCTION_BUNDLE_OPTIONS, functionNames } from '../../scripts/package.js';

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

/**
 * Where each secret's value is used: a function needs the secret when its bundle keeps one of these modules. (A new
 * secret in lib/config/secrets.ts needs its line here.) The OTLP header is used by the tracing SDK's file, which every
 * traced function loads: all but the health checks.
 */
const USED_IN: Record<string, readonly string[] | 'traced'> = {
  SECRETS_COOKIE: ['lib/session/cookie.ts', 'lib/strategies/code/code.ts', 'lib/flows/throttle.ts', 'lib/session/token-exchange.ts'],
  SECRETS_DEFAULT: ['lib/session/cookie.ts', 'lib/strategies/code/code.ts', 'lib/flows/throttle.ts', 'lib/session/token-exchange.ts'],
  ADMIN_API_KEY: ['lib/config/admin-key.ts'],
  COURIER_SMTP_CONNECTION_URI: ['lib/courier/senders/smtp.ts'],
  SELFSERVICE_METHODS_OIDC_CONFIG_CLIENT_SECRETS: ['lib/strategies/oidc/callback.ts'],
  SECRETS_CIPHER: ['lib/identity/cipher.ts'],
  TRACING_PROVIDERS_OTLP_AUTHORIZATION_HEADER: 'traced',
  // The signing keys: whoami signs with them, /.well-known publishes their public parts (every bundle reads the
  // configuration, so lib/config/tokenizer.ts is everywhere: the users are these).
  SESSION_WHOAMI_TOKENIZER_TEMPLATES: ['lib/session/tokenizer.ts', 'lib/session/well-known.ts'],
  // Web hooks' credentials: added to each request (the flows' hooks, the courier's queued ones).
  SELFSERVICE_WEB_HOOK_SECRETS: ['lib/webhooks/index.ts'],
};
/** Switches refused without a server secret: they go where the server secrets go, and only there. */
const NEED_SERVER_SECRET = ['SELFSERVICE_FLOWS_RECOVERY_ENABLED', 'SELFSERVICE_FLOWS_VERIFICATION_ENABLED'];

/** Each secret's parameter, named after it when packaging, so that the template tells which grant is whose. */
const PARAMETER_ENV = Object.fromEntries(SECRETS.map(({ name }) => [parameterVariable(name), `/deployment-test/${name.toLowerCase()}`]));
const KMS_KEY = 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** `serverless package` of this serverless.yml, in a folder of its own (bundles stand in as empty files). */
async function packageTemplate(env: Record<string, string>): Promise<{ file: string; template: Json }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'kratos-deployment-'));
  dirs.push(dir);
  cpSync(path.join(PROJECT_ROOT, 'serverless.yml'), path.join(dir, 'serverless.yml'));
  mkdirSync(path.join(dir, 'lib', 'store', 'dynamodb'), { recursive: true });
  cpSync(path.join(PROJECT_ROOT, 'lib', 'store', 'dynamodb', 'table.json'), path.join(dir, 'lib', 'store', 'dynamodb', 'table.json'));
  mkdirSync(path.join(dir, 'dist', 'functions'), { recursive: true });
  for (const file of [...functionNames().map((name) => `${name}.cjs`), ...FILES_APART_NAMES, 'identity-schemas.json', 'oidc-mappers.json']) {
    writeFileSync(path.join(dir, 'dist', 'functions', file), '');
  }
  symlinkSync(path.join(PROJECT_ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  const serverless = path.join(path.dirname(createRequire(import.meta.url).resolve('serverless/package.json')), 'bin', 'serverless.js');
  const child = spawn(process.execPath, [serverless, 'package', '--package', path.join(dir, 'out')], {
    cwd: dir,
    env: { PATH: process.env.PATH, HOME: dir, SLS_TELEMETRY_DISABLED: '1', SLS_NOTIFICATIONS_MODE: 'off', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const status = await new Promise<number | null>((resolve) => child.once('close', resolve));
  if (status !== 0) throw new Error(`serverless package failed:\n${output}`);
  const file = path.join(dir, 'out', 'cloudformation-template-update-stack.json');
  return { file, template: JSON.parse(readFileSync(file, 'utf8')) };
}

/** cfn-lint's findings on `files` (JSON), W3005 included although serverless.yml ignores it (see there). */
function cfnLint(files: string[]): { Rule: { Id: string }; Filename: string; Location: { Path: (string | number)[] } }[] {
  const run = spawnSync('cfn-lint', ['--mandatory-checks', 'W3005', '--format', 'json', ...files], { encoding: 'utf8', timeout: 300_000 });
  if (run.error) throw new Error(`cfn-lint could not run (${run.error.message}): install it with scripts/install-cfn-lint.sh`);
  if (run.stderr.trim()) throw new Error(`cfn-lint: ${run.stderr}`);
  return JSON.parse(run.stdout || '[]');
}

/** The modules each function's bundle keeps, as `npm run package` builds it. */
async function bundledModules(): Promise<Map<string, Set<string>>> {
  const modules = new Map<string, Set<string>>();
  // One build of every entry point, as scripts/package.ts builds them: each output's inputs are its bundle's modules.
  const result = await build({
    ...FUNCTION_BUNDLE_OPTIONS,
    entryPoints: functionNames().map((name) => ({ in: path.join(PROJECT_ROOT, 'functions', `${name}.ts`), out: name })),
    outdir: 'bundles',
    outExtension: { '.js': '.cjs' },
    write: false,
    metafile: true,
  });
  for (const [file, output] of Object.entries(result.metafile.outputs)) {
    if (!output.entryPoint) continue;
    modules.set(path.basename(file, '.cjs'), new Set(Object.entries(output.inputs).filter(([, input]) => input.bytesInOutput > 0).map(([module]) => module)));
  }
  expect([...modules.keys()].sort()).toEqual(functionNames());
  return modules;
}

interface DeployedFunction {
  bundle: string;
  role: string;
  environment: Record<string, string>;
  routes: string[];
}

function functionsOf(template: Json): Map<string, DeployedFunction> {
  const functions = new Map<string, DeployedFunction>();
  for (const [id, resource] of Object.entries<Json>(template.Resources)) {
    if (resource.Type !== 'AWS::Lambda::Function') continue;
    const bundle = /^dist\/functions\/(.+)\.handler$/.exec(resource.Properties.Handler)![1];
    // serverless names a function's HTTP API integration after it, and each route targets its integration.
    const integration = `HttpApiIntegration${id.replace(/LambdaFunction$/, '')}`;
    const routes = Object.values<Json>(template.Resources)
      .filter((r) => r.Type === 'AWS::ApiGatewayV2::Route' && JSON.stringify(r.Properties.Target).includes(`"${integration}"`))
      .map((route) => String(route.Properties.RouteKey).split(' ')[1]);
    functions.set(bundle, { bundle, role: resource.Properties.Role['Fn::GetAtt'][0], environment: resource.Properties.Environment.Variables, routes });
  }
  return functions;
}

const statementsOf = (template: Json, role: string): Json[] => template.Resources[role].Properties.Policies.flatMap((p: Json) => p.PolicyDocument.Statement);

describe('the deployment template', () => {
  let configured: { file: string; template: Json };
  let bare: { file: string; template: Json };
  let modules: Map<string, Set<string>>;
  let functions: Map<string, DeployedFunction>;

  beforeAll(async () => {
    [configured, bare, modules] = await Promise.all([
      packageTemplate({
        ...PARAMETER_ENV,
        SSM_PARAMETERS_KMS_KEY_ARN: KMS_KEY,
        COURIER_DELIVERY_STRATEGY: 'ses',
        COURIER_SMTP_FROM_ADDRESS: 'identity@mail.example.com',
        SERVE_PUBLIC_BASE_URL: 'https://id.example.com',
        JWT_AUTHORIZER_AUDIENCE: 'orders-api',
      }),
      packageTemplate({}),
      bundledModules(),
    ]);
    functions = functionsOf(configured.template);
  }, 600_000);

  it("ships in each function's zip its own bundle and every file apart beside it, and nothing else", async () => {
    const out = path.dirname(configured.file);
    const zips = readdirSync(out).filter((file) => file.endsWith('.zip'));
    expect(zips).toHaveLength(functionNames().length);
    const beside = [...FILES_APART_NAMES, 'identity-schemas.json', 'oidc-mappers.json'].map((file) => `dist/functions/${file}`).sort();
    const bundles = new Set<string>();
    for (const zip of zips) {
      const files = Object.values((await JSZip.loadAsync(readFileSync(path.join(out, zip)))).files).filter((entry) => !entry.dir).map((entry) => entry.name);
      const own = files.filter((file) => !beside.includes(file));
      expect(own).toEqual([expect.stringMatching(/^dist\/functions\/[a-z-]+\.cjs$/)]);
      bundles.add(own[0]);
      expect(files.filter((file) => beside.includes(file)).sort()).toEqual(beside);
    }
    expect([...bundles].sort()).toEqual(functionNames().map((name) => `dist/functions/${name}.cjs`).sort());
  });

  it('passes cfn-lint, configured or not: nothing but W3005 where serverless generates it (which serverless.yml ignores)', () => {
    const findings = cfnLint([configured.file, bare.file]);
    expect(findings.length).toBeGreaterThan(0);
    for (const finding of findings) {
      const [, resource] = finding.Location.Path;
      expect([finding.Rule.Id, String(resource)]).toEqual(['W3005', expect.stringMatching(/^HttpApiRoute|LambdaFunction$/)]);
    }
    expect(new Set(findings.map((f) => f.Filename)).size).toBe(2);
    // So plain `cfn-lint` on the template reports nothing.
    expect(configured.template.Metadata['cfn-lint'].config.ignore_checks).toEqual(['W3005']);
  }, 300_000);

  it('gives each function exactly the secrets its bundle uses, each with its _SSM_PARAMETER, and no secret to every function', () => {
    expect(Object.keys(USED_IN).sort()).toEqual(SECRETS.map((s) => s.name).sort());
    expect([...functions.keys()].sort()).toEqual(functionNames());
    const shared = configured.template.Resources;
    for (const fn of functions.values()) {
      const kept = modules.get(fn.bundle)!;
      // A function that has none of our tracing (the JWT authorizer's example) is not traced whatever its route.
      const traced = [...kept].some((module) => module.startsWith('lib/tracing/')) && (fn.routes.length === 0 || fn.routes.some((route) => !UNTRACED_ROUTES.test(route)));
      const needed = SECRETS.map((s) => s.name).filter((name) => {
        const usedIn = USED_IN[name];
        return usedIn === 'traced' ? traced : usedIn.some((file) => kept.has(file));
      });
      const given = SECRETS.map((s) => s.name).filter((name) => name in fn.environment);
      expect([fn.bundle, given]).toEqual([fn.bundle, needed]);
      for (const name of needed) expect([fn.bundle, fn.environment[parameterVariable(name)]]).toEqual([fn.bundle, PARAMETER_ENV[parameterVariable(name)]]);
      for (const name of NEED_SERVER_SECRET) expect([fn.bundle, name, name in fn.environment]).toEqual([fn.bundle, name, given.includes('SECRETS_COOKIE')]);
    }
    // The variables every function gets are the same everywhere and hold no secret.
    const everywhere = Object.keys(functions.get('health-alive')!.environment);
    for (const name of [...SECRETS.map((s) => s.name), ...NEED_SERVER_SECRET]) expect(everywhere).not.toContain(name);
    expect(Object.values<Json>(shared).filter((r) => r.Type === 'AWS::IAM::Role').length).toBeGreaterThan(1);
  });

  it('lets each role read exactly the parameters of the secrets its functions are given (and decrypt them with the configured key), only when set', () => {
    const roles = new Set([...functions.values()].map((fn) => fn.role));
    for (const role of roles) {
      const given = new Set([...functions.values()].filter((fn) => fn.role === role).flatMap((fn) => SECRETS.map((s) => s.name).filter((name) => name in fn.environment)));
      const conditional = statementsOf(configured.template, role).filter((s) => s['Fn::If']);
      const parameterGrants = conditional.map((s) => s['Fn::If'][1]).filter((s) => s.Action === 'ssm:GetParameter');
      const readable = parameterGrants.map((s) => {
        const parameter = /parameter\$\{(\w+)\}$/.exec(s.Resource['Fn::Sub'])![1];
        return Object.entries(PARAMETER_ENV).find(([, value]) => value === configured.template.Parameters[parameter].Default)![0].replace(/_SSM_PARAMETER$/, '');
      });
      expect([role, readable.sort()]).toEqual([role, [...given].sort()]);
      for (const statement of conditional) {
        const [condition, , otherwise] = statement['Fn::If'];
        expect(otherwise).toEqual({ Ref: 'AWS::NoValue' });
        expect(configured.template.Conditions[condition]).toBeDefined();
      }
      const decrypt = conditional.map((s) => s['Fn::If'][1]).filter((s) => s.Action === 'kms:Decrypt');
      // A role whose functions hold no secret (the JWT authorizer's example) decrypts nothing.
      expect(decrypt).toEqual(given.size === 0 ? [] : [{ Effect: 'Allow', Action: 'kms:Decrypt', Resource: { Ref: 'SsmParametersKmsKeyArn' }, Condition: { StringEquals: { 'kms:ViaService': { 'Fn::Sub': 'ssm.${AWS::Region}.amazonaws.com' } } } }]);
    }
    expect(configured.template.Parameters.SsmParametersKmsKeyArn.Default).toBe(KMS_KEY);
    for (const name of Object.keys(bare.template.Parameters).filter((p) => p.endsWith('SsmParameter'))) expect(bare.template.Parameters[name].Default).toBe('');
  });

  it('grants no action on every resource, logs only into the role’s own functions’ log groups, SES only to the courier and only from its address', () => {
    const template = configured.template;
    expect(template.Resources.IamRoleLambdaExecution).toBeUndefined();
    for (const role of new Set([...functions.values()].map((fn) => fn.role))) {
      const statements = statementsOf(template, role).map((s) => (s['Fn::If'] ? s['Fn::If'][1] : s));
      for (const resource of statements.flatMap((s) => [s.Resource].flat())) expect([role, resource]).not.toEqual([role, '*']);
      const logs = statements.find((s) => JSON.stringify(s.Action).includes('logs:PutLogEvents'));
      const members = [...functions.values()].filter((fn) => fn.role === role);
      const ownGroups = members.map((fn) => Object.entries<Json>(template.Resources).find(([, r]) => r.Type === 'AWS::Lambda::Function' && r.Properties.Handler === `dist/functions/${fn.bundle}.handler`)![0].replace(/LambdaFunction$/, 'LogGroup'));
      expect(logs.Resource.map((r: Json) => r['Fn::GetAtt'][0]).sort()).toEqual(ownGroups.sort());
      const ses = statements.filter((s) => JSON.stringify(s.Action).includes('ses:'));
      expect([role, ses.length]).toEqual([role, role === functions.get('courier')!.role ? 1 : 0]);
    }
    const courier = statementsOf(template, functions.get('courier')!.role).find((s) => s['Fn::If']?.[0] === 'CourierUsesSes')['Fn::If'][1];
    expect(courier.Action).toBe('ses:SendEmail');
    expect(JSON.stringify(courier.Resource)).toContain('identity/${CourierFromAddress}');
    expect(template.Parameters.CourierFromAddress.Default).toBe('identity@mail.example.com');
    expect(template.Conditions.CourierUsesSes).toBeDefined();
    // whoami, as an example of the narrowest: one item read, never a write.
    const whoami = statementsOf(template, functions.get('whoami')!.role).filter((s) => !s['Fn::If'] && JSON.stringify(s.Action).includes('dynamodb:'));
    expect(whoami).toEqual([{ Effect: 'Allow', Action: ['dynamodb:GetItem'], Resource: [{ 'Fn::GetAtt': ['IdentityTable', 'Arn'] }] }]);
  });

  it('wires the JWT authorizer: issuer = the public base URL, the audience set at deploy, on the example route alone, whose function has no variable of ours', () => {
    const check = (template: Json, issuer: string, audience: string) => {
      const authorizers = Object.entries<Json>(template.Resources).filter(([, r]) => r.Type === 'AWS::ApiGatewayV2::Authorizer');
      expect(authorizers.map(([, r]) => r.Properties)).toEqual([
        expect.objectContaining({ AuthorizerType: 'JWT', IdentitySource: ['$request.header.Authorization'], JwtConfiguration: { Issuer: issuer, Audience: [audience] } }),
      ]);
      const guarded = Object.values<Json>(template.Resources).filter((r) => r.Type === 'AWS::ApiGatewayV2::Route' && r.Properties.AuthorizationType === 'JWT');
      expect(guarded.map((r) => [r.Properties.RouteKey, r.Properties.AuthorizerId])).toEqual([['GET /example/session-claims', { Ref: authorizers[0][0] }]]);
    };
    check(configured.template, 'https://id.example.com', 'orders-api');
    check(bare.template, 'http://127.0.0.1:4433', 'kratos-session');
    const example = functions.get('jwt-example')!;
    expect(example.routes).toEqual(['/example/session-claims']);
    expect([...modules.get('jwt-example')!].filter((m) => m.startsWith('lib/'))).toEqual([]);
    expect(statementsOf(configured.template, example.role)).toEqual([{ Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: [{ 'Fn::GetAtt': ['JwtExampleLogGroup', 'Arn'] }] }]);
  });

  it('keeps the table: point-in-time recovery, deletion protection, retained on stack deletion and replacement', () => {
    const table = configured.template.Resources.IdentityTable;
    expect(table).toMatchObject({
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: { DeletionProtectionEnabled: true, PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true }, StreamSpecification: { StreamViewType: 'NEW_IMAGE' } },
    });
  });
});
