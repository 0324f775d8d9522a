/**
 * Migration in, over the wire with the official SDK: the batch import (IdentityApi.batchPatchIdentities) and the
 * courier's messages (CourierApi), every body checked against Kratos's spec.
 */
import bcrypt from 'bcryptjs';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Configuration, CourierApi } from '@ory/kratos-client';
import { baseUrl, TEST_ENV } from '../support/env.js';
import { frontendApi, identityApi, links, request, uniqueEmail } from '../support/http.js';
import { expectMatchesSchema } from '../support/openapi.js';
import { importIdentities } from '../../scripts/import.js';

const admin = identityApi();
const courier = new CourierApi(new Configuration({ basePath: baseUrl(), apiKey: `Bearer ${TEST_ENV.ADMIN_API_KEY}` }));
const frontend = frontendApi();
const auth = { Authorization: `Bearer ${TEST_ENV.ADMIN_API_KEY}`, 'Content-Type': 'application/json' };
const PASSWORD = 'an imported password of old';

describe('PATCH /admin/identities (batchPatchIdentities)', () => {
  it('imports identities with their bcrypt hashes, a result per patch; a taken identifier is that patch’s 409', async () => {
    const hash = bcrypt.hashSync(PASSWORD, 4);
    const emails = [uniqueEmail('batch'), uniqueEmail('batch')];
    const patchIds = [randomUUID(), randomUUID(), randomUUID()];
    const { data, status } = await admin.batchPatchIdentities({
      patchIdentitiesBody: {
        identities: [
          ...emails.map((email, i) => ({ patch_id: patchIds[i], create: { schema_id: 'default', traits: { email }, credentials: { password: { config: { hashed_password: hash } } } } })),
          { patch_id: patchIds[2], create: { schema_id: 'default', traits: { email: emails[0].toUpperCase() } } },
        ],
      },
    });
    expect(status).toBe(200);
    expectMatchesSchema('batchPatchIdentitiesResponse', data);
    expect(data.identities!.map((r) => [r.action, r.patch_id])).toEqual([
      ['create', patchIds[0]],
      ['create', patchIds[1]],
      ['error', patchIds[2]],
    ]);
    expect(data.identities![2].error).toMatchObject({ code: 409, status: 'Conflict' });
    const { data: stored } = await admin.getIdentity({ id: data.identities![1].identity! });
    expect(stored.traits).toEqual({ email: emails[1] });
    // The imported hash signs in.
    const { data: flow } = await frontend.createNativeLoginFlow();
    const { status: signedIn } = await frontend.updateLoginFlow({ flow: flow.id, updateLoginFlowBody: { method: 'password', identifier: emails[0], password: PASSWORD } });
    expect(signedIn).toBe(200);
  });

  it('refuses over 1,000 patches, and a bad envelope, with 400 and writes nothing', async () => {
    const email = uniqueEmail('over');
    const over = { identities: Array.from({ length: 1001 }, (_, i) => ({ create: { schema_id: 'default', traits: { email: i === 0 ? email : uniqueEmail('over') } } })) };
    const refused = await request('PATCH', '/admin/identities', { headers: auth, body: JSON.stringify(over) });
    expect(refused.status).toBe(400);
    expectMatchesSchema('errorGeneric', refused.json);
    expect(refused.json.error.reason).toBe('The maximum number of identities per request that can be created or deleted at once is 1000.');
    expect((await admin.listIdentities({ credentialsIdentifier: email })).data).toEqual([]);
    const bad = await request('PATCH', '/admin/identities', { headers: auth, body: JSON.stringify({ identities: [{ create: {}, surprise: true }] }) });
    expect(bad.status).toBe(400);
    expect(bad.json.error.reason).toBe('json: unknown field "surprise"');
  });

  it('takes a full batch of 1,000 in one call', async () => {
    const hash = bcrypt.hashSync(PASSWORD, 4);
    const identities = Array.from({ length: 1000 }, () => ({ create: { schema_id: 'default', traits: { email: uniqueEmail('full') }, credentials: { password: { config: { hashed_password: hash } } } } }));
    const { data } = await admin.batchPatchIdentities({ patchIdentitiesBody: { identities } });
    expect(data.identities!.filter((r) => r.action === 'create')).toHaveLength(1000);
  }, 60_000);
});

describe('GET /admin/courier/messages (CourierApi)', () => {
  it('lists the messages sent to an address newest first, pages with Link, and shows neither body nor code', async () => {
    const email = uniqueEmail('courier');
    await admin.createIdentity({ createIdentityBody: { schema_id: 'default', traits: { email } } });
    for (let i = 0; i < 2; i++) {
      const { data: flow } = await frontend.createNativeRecoveryFlow();
      await frontend.updateRecoveryFlow({ flow: flow.id, updateRecoveryFlowBody: { method: 'code', email } });
    }
    const { data: all, headers } = await courier.listCourierMessages({ recipient: email });
    expect(all).toHaveLength(2);
    for (const message of all) expectMatchesSchema('message', message);
    expect(all[0].created_at >= all[1].created_at).toBe(true);
    expect(all.map((m) => [m.recipient, m.template_type, m.type, m.body, m.subject])).toEqual(
      Array(2).fill([email, 'recovery_code_valid', 'email', '<redacted-unless-dev-mode>', '<redacted-unless-dev-mode>']),
    );
    expect(links(headers.link).first).toContain('recipient=');

    const { data: first, headers: firstHeaders } = await courier.listCourierMessages({ recipient: email, pageSize: 1 });
    expect(first.map((m) => m.id)).toEqual([all[0].id]);
    const next = new URL(links(firstHeaders.link).next);
    const { data: second, headers: secondHeaders } = await courier.listCourierMessages({ recipient: email, pageSize: 1, pageToken: next.searchParams.get('page_token')! });
    expect(second.map((m) => m.id)).toEqual([all[1].id]);
    expect(links(secondHeaders.link).next).toBeUndefined();

    const { data: one } = await courier.getCourierMessage({ id: all[1].id });
    expectMatchesSchema('message', one);
    expect(one).toMatchObject({ id: all[1].id, recipient: email, body: '<redacted-unless-dev-mode>' });
  });

  it("filters by status, refuses one Kratos does not know, and answers Kratos's errors for ids", async () => {
    const { data: none } = await courier.listCourierMessages({ recipient: uniqueEmail('nobody'), status: 'abandoned' });
    expect(none).toEqual([]);
    const badStatus = await request('GET', '/admin/courier/messages?status=delivered', { headers: auth });
    expect(badStatus.status).toBe(400);
    expectMatchesSchema('errorGeneric', badStatus.json);
    expect((await request('GET', '/admin/courier/messages/not-a-uuid', { headers: auth })).status).toBe(400);
    const missing = await request('GET', `/admin/courier/messages/${randomUUID()}`, { headers: auth });
    expect(missing.status).toBe(404);
    expectMatchesSchema('errorGeneric', missing.json);
  });
});

describe('npm run import (scripts/import.ts)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'kratos-import-'));
  const hash = bcrypt.hashSync(PASSWORD, 4);

  it('imports a JSONL file in batches, resumes from its checkpoint, and counts identities already there as done', async () => {
    const emails = Array.from({ length: 25 }, () => uniqueEmail('jsonl'));
    const lines = emails.map((email) => JSON.stringify({ schema_id: 'default', traits: { email }, credentials: { password: { config: { hashed_password: hash } } } }));
    lines[4] = '{ not json';
    lines[7] = JSON.stringify({ schema_id: 'default', traits: { email: 'not an address' } });
    lines[12] = '';
    const file = path.join(dir, 'identities.jsonl');
    writeFileSync(file, `${lines.join('\n')}\n`);
    const options = { file, baseUrl: baseUrl(), adminKey: TEST_ENV.ADMIN_API_KEY, batchSize: 4, concurrency: 2, progress: () => {} };

    // As if a first run had stopped after line 10: the rest is imported, not the first ten.
    writeFileSync(`${file}.checkpoint.json`, JSON.stringify({ file, linesDone: 10, created: 0, existing: 0, failed: 0 }));
    const resumed = await importIdentities(options);
    expect(resumed).toMatchObject({ linesDone: 25, created: 14, existing: 0, failed: 0 });
    expect((await admin.listIdentities({ credentialsIdentifier: emails[0] })).data).toEqual([]);
    expect((await admin.listIdentities({ credentialsIdentifier: emails[24] })).data).toHaveLength(1);

    // Done: nothing is sent again.
    await expect(importIdentities(options)).resolves.toMatchObject({ linesDone: 25, created: 14 });

    // From the start again: the first ten lines now, and the rest found as existing; the two bad lines reported.
    writeFileSync(`${file}.checkpoint.json`, JSON.stringify({ file, linesDone: 0, created: 0, existing: 0, failed: 0 }));
    const again = await importIdentities(options);
    expect(again).toMatchObject({ linesDone: 25, created: 8, existing: 14, failed: 2 });
    const errors = readFileSync(`${file}.errors.jsonl`, 'utf8').trim().split('\n').map((line) => JSON.parse(line));
    expect(errors.map((e) => [e.line, e.error.code])).toEqual([
      [5, 400],
      [8, 400],
    ]);
    const checkpoint = JSON.parse(readFileSync(`${file}.checkpoint.json`, 'utf8'));
    expect(checkpoint).toMatchObject({ linesDone: 25, created: 8, existing: 14, failed: 2 });
  });

  it('stops when the service cannot be reached, keeping the checkpoint where it was', async () => {
    const file = path.join(dir, 'unreachable.jsonl');
    writeFileSync(file, `${JSON.stringify({ schema_id: 'default', traits: { email: uniqueEmail('never') } })}\n`);
    await expect(importIdentities({ file, baseUrl: 'http://127.0.0.1:9', adminKey: 'x', attempts: 2, progress: () => {} })).rejects.toThrow(/failed 2 times/);
    expect(existsSync(`${file}.checkpoint.json`) ? JSON.parse(readFileSync(`${file}.checkpoint.json`, 'utf8')).linesDone : 0).toBe(0);
  });
});
