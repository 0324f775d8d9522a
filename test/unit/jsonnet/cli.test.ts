/**
 * `npm run jsonnet`: an operator tries a mapper locally and must see what the jsonnet command prints for it, byte
 * for byte (the reference runs alongside), and a failing program must say why and exit 1.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { PROJECT_ROOT } from '../../../scripts/local-stack.js';
import { referenceBinary } from '../../support/jsonnet-reference.js';

const run = promisify(execFile);
const SCRIPT = path.join(PROJECT_ROOT, 'dist', 'scripts', 'jsonnet.js');
const dir = mkdtempSync(path.join(tmpdir(), 'jsonnet-cli-'));

const MAPPER = `local claims = { email_verified: false } + std.extVar('claims');
{
  identity: {
    traits: {
      [if 'email' in claims && claims.email_verified then 'email' else null]: claims.email,
      name: { first: std.get(claims, 'given_name', ''), tags: [], extra: {} },
      score: 0.1 + std.length(std.extVar('tenant')),
    },
  },
}`;

describe('npm run jsonnet', () => {
  it('prints what the jsonnet command prints, with --ext-code, --ext-str, @file values and --tla-code', async () => {
    const mapper = path.join(dir, 'mapper.jsonnet');
    const claims = path.join(dir, 'claims.json');
    writeFileSync(mapper, MAPPER);
    writeFileSync(claims, JSON.stringify({ email: 'ada@example.com', email_verified: true, given_name: 'Ada' }));
    const args = [mapper, '--ext-code', `claims=${JSON.stringify({ email: 'ada@example.com', email_verified: true, given_name: 'Ada' })}`, '--ext-str', 'tenant=acme'];
    const ours = await run(process.execPath, [SCRIPT, ...args]);
    const reference = await run(referenceBinary(), args);
    expect(ours.stdout).toBe(reference.stdout);
    expect((await run(process.execPath, [SCRIPT, mapper, '--ext-code', `claims=@${claims}`, '-V', 'tenant=acme'])).stdout).toBe(reference.stdout);

    const hook = path.join(dir, 'hook.jsonnet');
    writeFileSync(hook, 'function(ctx) { user_id: ctx.identity.id, empty: [] }');
    const hookArgs = [hook, '--tla-code', 'ctx={"identity": {"id": "42"}}'];
    expect((await run(process.execPath, [SCRIPT, ...hookArgs])).stdout).toBe((await run(referenceBinary(), hookArgs)).stdout);
  });

  it('reports an error and exits 1', async () => {
    const failing = run(process.execPath, [SCRIPT, '-e', 'function(ctx) if ctx.cancel then error "cancel" else ctx', '--tla-code', 'ctx={"cancel": true}']);
    await expect(failing).rejects.toMatchObject({ code: 1, stderr: 'RUNTIME ERROR: cancel (line 1, column 34)\n' });
    await expect(run(process.execPath, [SCRIPT, '--no-such-flag'])).rejects.toMatchObject({ code: 1 });
  });
});
