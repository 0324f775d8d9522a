/**
 * The courier against DynamoDB Local and real SMTP servers, no mocks: messages queued through the real item layout
 * (messageToItem, as the flows' transactions write them) are delivered by the local courier runner, the courier
 * function's own handler. The shared stack's courier delivers to TEST_MAIL_DIR; the other cases run their own
 * couriers on their own tables, with 100 ms retry delays, against ports where SMTP is down, comes up late, or is
 * shared by two couriers at once.
 */
import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import path from 'node:path';
import { GetItemCommand, PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { CourierMessage, TemplateType } from '../../lib/courier/model.js';
import { createApp } from '../../lib/app.js';
import type { FlowRequest } from '../../lib/flows/common.js';
import { createDynamoClient } from '../../lib/store/dynamodb/client.js';
import { createDynamoStore } from '../../lib/store/dynamodb/store.js';
import { createCourierRepository } from '../../lib/store/dynamodb/courier-repository.js';
import { keys, messageToItem } from '../../lib/store/dynamodb/items.js';
import { ensureTable } from '../../lib/store/dynamodb/table.js';
import { freePort } from '../../scripts/dynamodb-local.js';
import { startCourier, type RunningCourier } from '../../scripts/local-stack.js';
import { dynamoEndpoint, TEST_ENV } from '../support/env.js';
import { testConfig } from '../support/store.js';
import { mailsIn, startSmtpReceiver, testMailDir, waitForMail, type SmtpReceiver } from '../support/smtp.js';
import { startJaegerUdpReceiver, type UdpSpanReceiver } from '../support/trace-receivers.js';

let client: DynamoDBClient;
const couriers: RunningCourier[] = [];
const receivers: SmtpReceiver[] = [];
let udp: UdpSpanReceiver;
/** Every recipient and code this file queued: none may appear in a courier's log. */
const secrets: string[] = [];

beforeAll(async () => {
  client = createDynamoClient({ endpoint: dynamoEndpoint(), tableName: TEST_ENV.DYNAMODB_TABLE_NAME, region: 'us-east-1' });
  udp = await startJaegerUdpReceiver();
});
afterAll(async () => {
  for (const courier of couriers) await courier.stop();
  for (const receiver of receivers) await receiver.close();
  await udp.close();
  client.destroy();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function recipient(label: string): string {
  const address = `courier-${label}-${randomBytes(4).toString('hex')}@example.org`;
  secrets.push(address);
  return address;
}

function queuedMessage(to: string, templateType: TemplateType = 'recovery_code_valid', more: Partial<CourierMessage> = {}): CourierMessage {
  const code = String(randomInt(100000, 1000000));
  secrets.push(code);
  const now = new Date();
  const templateData = templateType.startsWith('verification')
    ? { to, verification_code: code, verification_url: `http://127.0.0.1/self-service/verification?code=${code}&flow=f`, expires_in_minutes: 15 }
    : { to, recovery_code: code, expires_in_minutes: 15 };
  return { id: randomUUID(), channel: 'email', recipient: to, templateType, templateData, status: 'queued', sendCount: 0, createdAt: now, updatedAt: now, nextAttemptAt: now, ...more };
}

async function queue(table: string, message: CourierMessage): Promise<void> {
  await client.send(new PutItemCommand({ TableName: table, Item: messageToItem(message) }));
}

async function storedItem(table: string, id: string) {
  return (await client.send(new GetItemCommand({ TableName: table, Key: keys.message(id), ConsistentRead: true }))).Item!;
}

async function until<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** A table of its own in the shared DynamoDB Local, so the shared courier never touches these messages. */
async function ownTable(label: string): Promise<string> {
  const table = `kratos-courier-${label}-${randomBytes(3).toString('hex')}`;
  await ensureTable(client, table);
  return table;
}

async function courierOn(table: string, smtpPort: number, more: Record<string, string> = {}): Promise<RunningCourier> {
  const courier = await startCourier({
    logFile: path.join(process.env.TEST_ARTIFACTS_DIR!, `courier-${table}-${couriers.length}.log`),
    env: {
      ...TEST_ENV,
      LOG_LEVEL: 'info',
      DYNAMODB_ENDPOINT: dynamoEndpoint(),
      DYNAMODB_TABLE_NAME: table,
      COURIER_SMTP_CONNECTION_URI: `smtp://127.0.0.1:${smtpPort}/?disable_starttls=true`,
      COURIER_MESSAGE_RETRY_DELAY: '100ms',
      TRACING_PROVIDER: 'jaeger',
      TRACING_PROVIDERS_JAEGER_LOCAL_AGENT_ADDRESS: `127.0.0.1:${udp.port}`,
      ...more,
    },
  });
  couriers.push(courier);
  return courier;
}

describe('the courier', () => {
  it('delivers a queued message once, with Kratos’s subject and bodies, and marks it sent (the shared stack’s courier)', async () => {
    const to = recipient('shared');
    const message = queuedMessage(to);
    const code = message.templateData.recovery_code!;
    await queue(TEST_ENV.DYNAMODB_TABLE_NAME, message);
    const mail = await waitForMail(testMailDir(), { to, subjectIncludes: code }, 15_000);
    expect(mail.subject).toBe(`Use code ${code} to recover access to your account`);
    expect(mail.text).toBe(`Recover access to your account by entering the following code:\n\n${code}\n\nIf this was not you, do nothing. This code expires in 15 minutes.\n`);
    expect(mail.html).toContain(code);
    expect(mail.from?.value[0].address).toBe('no-reply@ory.kratos.sh');
    const item = await until('the message marked sent', async () => {
      const stored = await storedItem(TEST_ENV.DYNAMODB_TABLE_NAME, message.id);
      return stored.status.S === 'sent' && stored;
    });
    expect(item.send_count.N).toBe('1');
    expect(item.gsi1pk).toBeUndefined(); // out of the queue
    expect(item.template_data).toBeUndefined(); // the code is not kept once delivered
    expect(Number(item.ttl.N)).toBeGreaterThan(Date.now() / 1000);
    await sleep(1000); // a few more sweeps: still one mail
    expect(await mailsIn(testMailDir(), { to })).toHaveLength(1);
  });

  it('renders the verification template with its link (HTML escaped) and the invalid templates', async () => {
    const valid = queuedMessage(recipient('verify'), 'verification_code_valid');
    const invalid = queuedMessage(recipient('unknown'), 'recovery_code_invalid');
    await queue(TEST_ENV.DYNAMODB_TABLE_NAME, valid);
    await queue(TEST_ENV.DYNAMODB_TABLE_NAME, invalid);
    const code = valid.templateData.verification_code!;
    const mail = await waitForMail(testMailDir(), { to: valid.recipient }, 15_000);
    expect(mail.subject).toBe(`Use code ${code} to verify your account`);
    expect(mail.text).toContain(`or clicking the following link:\n\n${valid.templateData.verification_url}\n\n`);
    expect(mail.html).toContain(`<a href="http://127.0.0.1/self-service/verification?code=${code}&amp;flow=f">`);
    const other = await waitForMail(testMailDir(), { to: invalid.recipient }, 15_000);
    expect(other.subject).toBe('Account access attempted');
  });

  it('retries with backoff while SMTP is down, and delivers exactly once when a server comes up on that port', async () => {
    const table = await ownTable('late');
    const port = await freePort(); // nothing listens here yet
    const courier = await courierOn(table, port, { COURIER_MESSAGE_RETRIES: '10' });
    const to = recipient('late');
    const traceId = randomBytes(16).toString('hex');
    const parentSpanId = randomBytes(8).toString('hex');
    const message = queuedMessage(to, 'recovery_code_valid', { traceparent: `00-${traceId}-${parentSpanId}-01` });
    await queue(table, message);

    // Read between attempts: a claimed message (lease held) has its attempt counted but not yet its next due time.
    const failing = await until('three failed attempts', async () => {
      const item = await storedItem(table, message.id);
      return Number(item.send_count.N) >= 3 && !item.lease_until ? item : undefined;
    });
    expect(failing.status.S).toBe('queued');
    expect(failing.last_error.S).toMatch(/^Error ECONNECTION|^Error ESOCKET/);
    expect(failing.gsi1pk.S).toBe('COURIER#queued');
    // Backoff: the next attempt is due later than the last one was made, by more than the first delay.
    expect(new Date(failing.next_attempt_at.S!).getTime() - new Date(failing.updated_at.S!).getTime()).toBeGreaterThanOrEqual(200);

    const smtp = await startSmtpReceiver({ port });
    receivers.push(smtp);
    const mail = await waitForMail(smtp.folder, { to }, 15_000);
    expect(mail.subject).toContain(message.templateData.recovery_code!);
    await until('the message marked sent', async () => (await storedItem(table, message.id)).status.S === 'sent');
    await sleep(1000);
    expect(await mailsIn(smtp.folder, { to })).toHaveLength(1);
    expect(courier.output()).toContain('courier: delivery failed, will retry');

    // Every attempt is a courier.DispatchMessage span in the trace of the request that queued the message.
    const spans = await udp.waitForSpans((all) => all.some((s) => s.traceId === traceId && s.events?.some((e) => e.name === 'CourierMessageDispatched')), 5000);
    const attempts = spans.filter((s) => s.traceId === traceId && s.name === 'courier.DispatchMessage');
    expect(attempts.length).toBeGreaterThanOrEqual(4);
    for (const span of attempts) expect(span.parentSpanId).toBe(parentSpanId);
    const sent = attempts.find((s) => s.events?.some((e) => e.name === 'CourierMessageDispatched'))!;
    expect(sent.tags).toMatchObject({ 'message.id': message.id, 'message.template_type': 'recovery_code_valid' });
    expect(sent.events!.find((e) => e.name === 'CourierMessageDispatched')!.attributes).toMatchObject({
      CourierMessageID: message.id,
      CourierMessageChannel: 'email',
      CourierMessageTemplateType: 'recovery_code_valid',
    });
    for (const span of attempts) for (const secret of [to, message.templateData.recovery_code!]) expect(span.raw).not.toContain(secret);
  });

  it('answers a recovery request as usual while SMTP is down; its mail arrives once SMTP is back', async () => {
    const table = await ownTable('down');
    const port = await freePort(); // nothing listens here yet
    await courierOn(table, port, { COURIER_MESSAGE_RETRIES: '20' });
    const config = testConfig({ DYNAMODB_TABLE_NAME: table, SELFSERVICE_FLOWS_RECOVERY_ENABLED: 'true' });
    const client = createDynamoClient(config.dynamodb);
    const app = createApp(config, createDynamoStore(client, table));
    const request: FlowRequest = { requestUrl: 'http://127.0.0.1/self-service/recovery/api', hasCookie: false, browser: { anyCookie: false, ajax: false, json: true } };
    try {
      const to = recipient('down');
      await app.identityAdmin.create({ schema_id: 'default', traits: { email: to } }, new Date());
      const flow = (await app.recovery.init('api', request, undefined, new Date())).body as { id: string };
      // The request never talks to SMTP: it queues the mail with the flow's change and answers.
      const answer = await app.recovery.submit(flow.id, { method: 'code', email: to }, request, new Date());
      expect(answer.status).toBe(200);
      expect((answer.body as { state: string }).state).toBe('sent_email');
      await sleep(1000);
      const smtp = await startSmtpReceiver({ port });
      receivers.push(smtp);
      const mail = await waitForMail(smtp.folder, { to, subjectIncludes: 'to recover access to your account' }, 15_000);
      const code = /\b(\d{6})\b/.exec(mail.subject ?? '')![1];
      secrets.push(to, code);
      const done = await app.recovery.submit(flow.id, { method: 'code', code }, request, new Date());
      expect((done.body as { state: string }).state).toBe('passed_challenge');
    } finally {
      client.destroy();
    }
  });

  it('abandons a message after its retries, logs an error line, and goes on delivering', async () => {
    const table = await ownTable('abandon');
    const port = await freePort(); // SMTP stays down
    const courier = await courierOn(table, port, { COURIER_MESSAGE_RETRIES: '2' });
    const message = queuedMessage(recipient('abandon'), 'verification_code_valid');
    await queue(table, message);
    const item = await until('the message abandoned', async () => {
      const stored = await storedItem(table, message.id);
      return stored.status.S === 'abandoned' && stored;
    });
    expect(item.send_count.N).toBe('3'); // the first attempt and two retries, as Kratos's message_retries counts
    expect(item.gsi1pk).toBeUndefined();
    expect(item.ttl).toBeDefined();
    expect(item.last_error.S).toMatch(/^Error E[A-Z]+$/);
    await until('the error line', async () => courier.output().includes('courier: message abandoned after 3 failed attempts'));
    const line = courier.output().split('\n').find((l) => l.includes('message abandoned'))!;
    expect(JSON.parse(line)).toMatchObject({ level: 'error', message_id: message.id, template_type: 'verification_code_valid', send_count: 3 });
    expect(courier.process.exitCode).toBeNull(); // nothing crashed
    await sleep(600);
    expect((await storedItem(table, message.id)).send_count.N).toBe('3'); // and it is not tried again
  });

  it('delivers each message once when two couriers sweep the same queue at the same time', async () => {
    const table = await ownTable('race');
    const smtp = await startSmtpReceiver();
    receivers.push(smtp);
    const fast = { COURIER_LOCAL_INTERVAL_MS: '20' };
    const messages = Array.from({ length: 20 }, (_, i) => queuedMessage(recipient(`race${i}`), i % 2 ? 'recovery_code_valid' : 'verification_code_invalid'));
    // Queued before the couriers start, so both find them all due in their first sweep.
    await Promise.all(messages.map((m) => queue(table, m)));
    await Promise.all([courierOn(table, smtp.port, fast), courierOn(table, smtp.port, fast)]);
    for (const message of messages) await waitForMail(smtp.folder, { to: message.recipient }, 15_000);
    await sleep(1000);
    for (const message of messages) expect([message.recipient, (await mailsIn(smtp.folder, { to: message.recipient })).length]).toEqual([message.recipient, 1]);
    const repository = createCourierRepository(client, table);
    for (const message of messages) expect((await repository.get(message.id))?.status).toBe('sent');
    expect(await repository.listDue(new Date(), 100)).toEqual([]);
  });

  it('writes no recipient address and no code into any courier’s log', () => {
    expect(couriers.length).toBeGreaterThan(0);
    const output = couriers.map((c) => c.output()).join('\n');
    expect(output).toContain('courier: message sent');
    for (const secret of secrets) expect([secret, output.includes(secret)]).toEqual([secret, false]);
  });
});
