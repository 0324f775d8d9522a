/**
 * Docker cannot run here, so the compose recipe is checked statically: every variable it gives the functions
 * is one the code (or the AWS SDK) reads and one serverless.yml passes to the functions, its ports agree with
 * Jaeger's config and with the addresses the functions are given, its commands exist, its images are pinned.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { PROJECT_ROOT } from '../../scripts/local-stack.js';

type Service = { image: string; command?: string[]; environment?: Record<string, string>; ports?: string[]; volumes?: string[] };
const compose = parse(readFileSync(path.join(PROJECT_ROOT, 'localstack.yml'), 'utf8')) as { services: Record<string, Service> };
const serverless = readFileSync(path.join(PROJECT_ROOT, 'serverless.yml'), 'utf8');
const jaegerConfig = readFileSync(path.join(PROJECT_ROOT, 'local', 'jaeger.yaml'), 'utf8');
const pkg = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const full = path.join(dir, entry);
    return statSync(full).isDirectory() ? sourceFiles(full) : full.endsWith('.ts') ? [full] : [];
  });
}

/** Every environment variable named in the code: `process.env.X`, `env.X` and the readers' `(env, 'X')` calls. */
function variablesTheCodeReads(): Set<string> {
  const names = new Set<string>();
  for (const file of ['lib', 'functions', 'scripts'].flatMap((dir) => sourceFiles(path.join(PROJECT_ROOT, dir)))) {
    const text = readFileSync(file, 'utf8');
    for (const [, name] of text.matchAll(/(?:process\.env|\benv)\.([A-Z][A-Z0-9_]+)/g)) names.add(name);
    for (const [, name] of text.matchAll(/\w+\(\s*env\s*,\s*'([A-Z][A-Z0-9_]+)'/g)) names.add(name);
  }
  return names;
}

const portOf = (address: string) => Number(/:(\d+)(\/\w+)?$/.exec(address)?.[1]);
const published = (service: Service) =>
  (service.ports ?? []).map((p) => {
    const [spec, protocol = 'tcp'] = p.split('/');
    const parts = spec.split(':');
    return { host: Number(parts[parts.length - 2]), container: Number(parts[parts.length - 1]), protocol };
  });

describe('localstack.yml', () => {
  const identity = compose.services.identity;
  const env = identity.environment ?? {};

  it('runs LocalStack, Jaeger v2 and the functions, on pinned images', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['identity', 'jaeger', 'localstack']);
    for (const service of Object.values(compose.services)) {
      expect(service.image).toMatch(/:\d+(\.\d+)+(-[\w.-]+)?$/);
    }
    expect(compose.services.jaeger.image).toMatch(/^jaegertracing\/jaeger:2\./);
  });

  it('configures the functions exactly as Kratos’s tracing guide configures Kratos', () => {
    expect(env).toMatchObject({
      TRACING_PROVIDER: 'jaeger',
      TRACING_PROVIDERS_JAEGER_SAMPLING_SERVER_URL: 'http://jaeger:5778/sampling',
      TRACING_PROVIDERS_JAEGER_LOCAL_AGENT_ADDRESS: 'jaeger:6831',
      DYNAMODB_ENDPOINT: 'http://localstack:4566',
    });
  });

  it('sets only variables the code reads, and serverless.yml hands each to the functions', () => {
    const read = variablesTheCodeReads();
    const readBySdk = new Set(['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY']);
    const launcherOnly = new Set(['HOST', 'PORT']); // serverless-offline's own address, used in serverless.yml
    for (const name of Object.keys(env)) {
      expect([name, read.has(name) || readBySdk.has(name) || launcherOnly.has(name)]).toEqual([name, true]);
      // serverless-offline copies AWS_* into the functions; everything else must be in provider.environment.
      const reachesFunctions = name.startsWith('AWS_') || launcherOnly.has(name) || serverless.includes(`    ${name}: \${env:${name}`);
      expect([name, reachesFunctions]).toEqual([name, true]);
    }
    for (const name of launcherOnly) expect(serverless).toContain(`\${env:${name}`);
  });

  it('agrees on ports: Jaeger receivers, published ports, and the addresses the functions use', () => {
    const jaeger = compose.services.jaeger;
    const ports = published(jaeger);
    const has = (port: number, protocol = 'tcp') => ports.some((p) => p.container === port && p.protocol === protocol);
    for (const [port, protocol] of [[16686, 'tcp'], [4317, 'tcp'], [4318, 'tcp'], [6831, 'udp'], [6832, 'udp'], [14268, 'tcp'], [5778, 'tcp']] as const) {
      expect([port, protocol, has(port, protocol)]).toEqual([port, protocol, true]);
      expect(jaegerConfig).toContain(`0.0.0.0:${port}`);
    }
    expect(has(portOf(env.TRACING_PROVIDERS_JAEGER_LOCAL_AGENT_ADDRESS), 'udp')).toBe(true);
    expect(has(portOf(new URL(env.TRACING_PROVIDERS_JAEGER_SAMPLING_SERVER_URL).host))).toBe(true);
    expect(published(compose.services.localstack).some((p) => p.container === Number(new URL(env.DYNAMODB_ENDPOINT).port))).toBe(true);
    expect(published(identity).map((p) => p.container)).toEqual([Number(env.PORT)]);
    expect(env.SERVE_PUBLIC_BASE_URL).toBe(`http://127.0.0.1:${published(identity)[0].host}`);
  });

  it('runs only commands that exist, and mounts files that exist', () => {
    const command = identity.command!.join(' ');
    for (const [, script] of command.matchAll(/npm (?:run )?([\w:-]+)/g)) {
      if (script === 'ci' || script === 'install') continue;
      expect([script, pkg.scripts[script] !== undefined]).toEqual([script, true]);
    }
    for (const volume of Object.values(compose.services).flatMap((s) => s.volumes ?? [])) {
      const source = volume.split(':')[0];
      if (source.startsWith('.')) expect([source, existsSync(path.join(PROJECT_ROOT, source))]).toEqual([source, true]);
    }
    const strategies = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'local', 'sampling-strategies.json'), 'utf8'));
    expect(strategies.default_strategy).toEqual({ type: 'probabilistic', param: expect.any(Number) });
    expect(jaegerConfig).toContain('path: /etc/jaeger/sampling-strategies.json');
  });
});

describe('serverless.yml', () => {
  it('hands every configuration variable the functions read to them (serverless-offline and AWS pass only provider.environment)', () => {
    const configFiles = sourceFiles(path.join(PROJECT_ROOT, 'lib', 'config'));
    const names = new Set<string>();
    for (const file of configFiles) {
      for (const [, name] of readFileSync(file, 'utf8').matchAll(/\w+\(\s*env\s*,\s*'([A-Z][A-Z0-9_]+)'/g)) names.add(name);
    }
    expect(names.size).toBeGreaterThan(20);
    for (const name of names) {
      const passed = name.startsWith('AWS_') || serverless.includes(`    ${name}: \${env:${name}`);
      expect([name, passed]).toEqual([name, true]);
    }
  });
});
