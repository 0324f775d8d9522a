/**
 * Identity schemas on ajv: the fields flows render, validation errors in Kratos's ids and texts on the right nodes,
 * the `ory.sh/kratos` extension, and loading from file://, base64:// and https:// with every failure named.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadIdentityConfig } from '../../lib/config/identity.js';
import { ConfigError } from '../../lib/config/index.js';
import { builtinSchema, IdentitySchema, SchemaError, type JsonSchema } from '../../lib/identity/schema.js';
import { loadSchemaRegistry } from '../../lib/identity/schemas.js';
import { PROJECT_ROOT } from '../../scripts/local-stack.js';
import { packageIdentitySchemas } from '../../scripts/package.js';

const FIXTURE = path.join(PROJECT_ROOT, 'test', 'fixtures', 'customer.schema.json');
const document = JSON.parse(readFileSync(FIXTURE, 'utf8')) as JsonSchema;
const customer = new IdentitySchema('customer', document, true);

describe('an identity schema', () => {
  it('renders every trait in schema order: nested names, formats, enums as options, booleans as checkboxes', () => {
    expect(customer.fields.map((f) => [f.name, f.inputType, f.required])).toEqual([
      ['traits.email', 'email', true],
      ['traits.name.first', 'text', true],
      ['traits.name.last', 'text', false],
      ['traits.plan', 'text', true],
      ['traits.newsletter', 'checkbox', false],
      ['traits.phone', 'tel', false],
      ['traits.age', 'number', false],
    ]);
    expect(customer.fields.find((f) => f.name === 'traits.plan')?.options).toEqual(['free', 'team', 'enterprise']);
    expect(customer.fields[0]).toMatchObject({ passwordIdentifier: true, verificationVia: 'email', recoveryVia: 'email', autocomplete: 'email', title: 'E-Mail' });
  });

  it('accepts valid traits and reads identifiers and addresses from them, lower-cased', async () => {
    const traits = { email: 'Ada@Example.com', name: { first: 'Ada' }, plan: 'team', newsletter: true, phone: '+44 20 7946 0000', age: 36 };
    expect(await customer.validate(traits)).toEqual([]);
    expect(customer.passwordIdentifiers(traits)).toEqual(['ada@example.com']);
    expect(customer.verifiableAddresses(traits)).toEqual(['ada@example.com']);
    expect(customer.recoveryAddresses(traits)).toEqual(['ada@example.com']);
  });

  it("puts Kratos's messages on the nodes they concern", async () => {
    const violations = await customer.validate({ email: 'nope', name: { first: '' }, plan: 'gold', newsletter: 'yes', phone: 'call me', age: 12, extra: 1 });
    const by = (node: string | undefined) => violations.filter((v) => v.node === node).map((v) => [v.message.id, v.message.text]);
    expect(by('traits.email')).toEqual([[4000040, 'Enter a valid email address']]);
    expect(by('traits.name.first')).toEqual([[4000003, 'length must be >= 1, but got 0']]);
    expect(by('traits.plan')).toEqual([[4000001, 'value must be one of "free", "team", "enterprise"']]);
    expect(by('traits.newsletter')).toEqual([[4000026, 'expected boolean, but got string']]);
    expect(by('traits.phone')).toEqual([[4000041, 'Enter a valid phone number']]);
    expect(by('traits.age')).toEqual([[4000018, 'must be >= 16 but found 12']]);
    expect(by(undefined)).toEqual([[4000001, 'additionalProperties "extra" not allowed']]);
    expect((await customer.validate({ name: {} })).map((v) => [v.node, v.message.id, v.message.text])).toEqual([
      ['traits.email', 4000002, 'Property email is missing.'],
      ['traits.plan', 4000002, 'Property plan is missing.'],
      ['traits.name.first', 4000002, 'Property first is missing.'],
    ]);
  });

  it.each([
    ['no traits object', { type: 'object', properties: {} }, 'has no "traits" object'],
    ['no password identifier', { type: 'object', properties: { traits: { type: 'object', properties: { email: { type: 'string' } } } } }, 'marks no trait as a password identifier'],
    ['another draft', { $schema: 'https://json-schema.org/draft/2020-12/schema', type: 'object', properties: {} }, 'draft-07'],
  ])('refuses %s, naming the schema', (_, doc, message) => {
    expect(() => new IdentitySchema('broken', doc as JsonSchema)).toThrow(SchemaError);
    expect(() => new IdentitySchema('broken', doc as JsonSchema)).toThrow(new RegExp(`identity schema "broken".*${message.replace(/[()]/g, '\\$&')}`));
  });

  it('compiles a schema at its first validation, or when asked: one that does not compile is refused then, naming it', async () => {
    const uncompilable = {
      type: 'object',
      properties: { traits: { type: 'object', properties: { email: { type: 'string', 'ory.sh/kratos': { credentials: { password: { identifier: true } } } }, age: { type: 'strnig' } } } },
    };
    // Read without compiling (a cold start's schemas: fields, nodes and identifiers need no validator)...
    const schema = new IdentitySchema('broken', uncompilable as JsonSchema);
    expect(schema.fields.map((f) => f.name)).toEqual(['traits.email', 'traits.age']);
    // ...and refused where a validator is needed.
    await expect(schema.validate({ email: 'a@example.com' })).rejects.toThrow(SchemaError);
    await expect(schema.compile()).rejects.toThrow(/identity schema "broken" does not compile/);
    // The failure is kept: later requests are refused without compiling again.
    const failures = await Promise.all([0, 1].map(() => schema.compile().catch((error: unknown) => error)));
    expect(failures[0]).toBeInstanceOf(SchemaError);
    expect(failures[1]).toBe(failures[0]);
    const good = builtinSchema();
    expect(await good.compile()).toBe(await good.compile());
    expect(await good.validate({ email: 'a@example.com' })).toEqual([]);
  });

  it('the built-in schema is Kratos\'s quickstart one', () => {
    expect(builtinSchema().fields.map((f) => f.name)).toEqual(['traits.email', 'traits.name.first', 'traits.name.last']);
  });
});

describe('IDENTITY_SCHEMAS and IDENTITY_DEFAULT_SCHEMA_ID', () => {
  it('loads file://, base64:// and https:// schemas; finds them by id and by base64url id', async () => {
    const server = createServer((_, res) => res.end(JSON.stringify(document)));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/schema.json`;
      const relative = path.relative(process.cwd(), FIXTURE);
      const config = loadIdentityConfig({
        IDENTITY_DEFAULT_SCHEMA_ID: 'customer',
        IDENTITY_SCHEMAS: JSON.stringify([
          { id: 'customer', url: `file://${relative}`, selfservice_selectable: true },
          { id: 'inline', url: `base64://${Buffer.from(JSON.stringify(document)).toString('base64')}` },
          { id: 'remote', url },
        ]),
      });
      const registry = await loadSchemaRegistry(config);
      expect(registry.list().map((s) => s.id)).toEqual(['customer', 'inline', 'remote']);
      expect(registry.default.id).toBe('customer');
      expect(registry.find(Buffer.from('remote').toString('base64url'))?.id).toBe('remote');
      expect(registry.find('inline')?.selectable).toBe(false);
      expect(registry.find('nope')).toBeUndefined();
    } finally {
      server.close();
    }
  });

  it.each([
    ['not JSON', { IDENTITY_SCHEMAS: '[{' }, 'IDENTITY_SCHEMAS must be a JSON array'],
    ['a bad url', { IDENTITY_SCHEMAS: '[{"id":"a","url":"ftp://x"}]' }, 'schema "a" needs a "url" starting file://'],
    ['a duplicate id', { IDENTITY_SCHEMAS: '[{"id":"a","url":"file://x"},{"id":"a","url":"file://y"}]' }, 'schema id "a" is listed twice'],
    ['an unknown default', { IDENTITY_DEFAULT_SCHEMA_ID: 'b', IDENTITY_SCHEMAS: '[{"id":"a","url":"file://x"}]' }, 'IDENTITY_DEFAULT_SCHEMA_ID "b" is not among'],
  ])('refuses %s', (_, env, message) => {
    expect(() => loadIdentityConfig(env)).toThrow(ConfigError);
    expect(() => loadIdentityConfig(env)).toThrow(message);
  });

  it.each([
    ['a missing file', 'file://./no/such/schema.json', 'could not be read'],
    ['a file that is not JSON', `base64://${Buffer.from('{').toString('base64')}`, 'could not be read'],
    ['a schema without identifier', `base64://${Buffer.from(JSON.stringify({ type: 'object', properties: { traits: { type: 'object', properties: {} } } })).toString('base64')}`, 'marks no trait as a password identifier'],
    ['an unreachable URL', 'http://127.0.0.1:1/schema.json', 'could not be read'],
  ])('fails loading %s with a ConfigError naming the schema', async (_, url, message) => {
    const config = loadIdentityConfig({ IDENTITY_SCHEMAS: JSON.stringify([{ id: 'mine', url }]) });
    await expect(loadSchemaRegistry(config)).rejects.toThrow(ConfigError);
    await expect(loadSchemaRegistry(config)).rejects.toThrow(new RegExp(`schema "mine".*${message}`));
  });

  it('a schema that does not compile: loaded as a cold start loads it, refused as npm start and npm run package load it', async () => {
    const uncompilable = { type: 'object', properties: { traits: { type: 'object', properties: { email: { type: 'strnig', 'ory.sh/kratos': { credentials: { password: { identifier: true } } } } } } } };
    const env = { IDENTITY_SCHEMAS: JSON.stringify([{ id: 'mine', url: `base64://${Buffer.from(JSON.stringify(uncompilable)).toString('base64')}` }]) };
    const config = loadIdentityConfig(env);
    expect((await loadSchemaRegistry(config)).list().map((schema) => schema.id)).toEqual(['mine']);
    await expect(loadSchemaRegistry(config, { compile: true })).rejects.toThrow(/IDENTITY_SCHEMAS: identity schema "mine" does not compile/);
    const outdir = mkdtempSync(path.join(tmpdir(), 'kratos-schemas-'));
    try {
      await expect(packageIdentitySchemas(env, outdir)).rejects.toThrow(ConfigError);
      await expect(packageIdentitySchemas(env, outdir)).rejects.toThrow(/identity schema "mine" does not compile/);
      const notJson = { IDENTITY_SCHEMAS: JSON.stringify([{ id: 'mine', url: `base64://${Buffer.from('{').toString('base64')}` }]) };
      await expect(packageIdentitySchemas(notJson, outdir)).rejects.toThrow(ConfigError);
      await expect(packageIdentitySchemas(notJson, outdir)).rejects.toThrow(/schema "mine" could not be read/);
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });
});
