/** The admin API's courier messages (Kratos's listCourierMessages, getCourierMessage) on the memory store. */
import { randomUUID } from 'node:crypto';
import { adminMessage } from '../../lib/courier/admin.js';
import { queuedMessage, type CourierMessage } from '../../lib/courier/model.js';
import { memoryApp, rejection, uniqueEmail } from '../support/flows.js';

describe('courier messages for the admin', () => {
  const { app, store } = memoryApp();
  const queue = async (to: string, secondsAgo: number) => {
    const message = queuedMessage(randomUUID(), 'recovery_code_valid', { to, recovery_code: '418265' }, new Date(Date.now() - secondsAgo * 1000), undefined);
    await store.commit(store.courier.queue(message));
    return message;
  };

  it("lists newest first with Kratos's filters and pages, and answers Kratos's Message with no code in it", async () => {
    const to = uniqueEmail('mailed');
    const older = await queue(to, 20);
    const newer = await queue(to, 10);
    await queue(uniqueEmail('someone-else'), 5);
    const page = await app.courierAdmin.list({ recipient: to, pageSize: 1 });
    expect(page.items.map((m) => m.id)).toEqual([newer.id]);
    const rest = await app.courierAdmin.list({ recipient: to, pageSize: 1, pageToken: page.next });
    expect(rest.items.map((m) => m.id)).toEqual([older.id]);
    expect(rest.next).toBeUndefined();
    expect((await app.courierAdmin.list({ recipient: to, status: 'sent', pageSize: 10 })).items).toEqual([]);
    expect((await app.courierAdmin.list({ recipient: to, status: 'queued', pageSize: 10 })).items).toHaveLength(2);
    expect((await app.courierAdmin.list({ status: 'processing', pageSize: 10 })).items).toEqual([]);

    const shown = adminMessage(await app.courierAdmin.get(newer.id.toUpperCase()));
    expect(shown).toEqual({
      id: newer.id,
      status: 'queued',
      type: 'email',
      channel: 'email',
      recipient: to,
      body: '<redacted-unless-dev-mode>',
      subject: '<redacted-unless-dev-mode>',
      template_type: 'recovery_code_valid',
      send_count: 0,
      created_at: newer.createdAt.toISOString(),
      updated_at: newer.updatedAt.toISOString(),
    });
    expect(JSON.stringify(shown)).not.toContain('418265');
  });

  it('shows e-mail only: a message of another channel the courier delivers is neither listed nor found', async () => {
    const to = uniqueEmail('other-channel');
    const other = { ...queuedMessage(randomUUID(), 'recovery_code_valid', { to }, new Date(), undefined), channel: 'webhook' } as unknown as CourierMessage;
    await store.commit(store.courier.queue(other));
    expect((await app.courierAdmin.list({ recipient: to, pageSize: 10 })).items).toEqual([]);
    await expect(rejection(app.courierAdmin.get(other.id))).resolves.toMatchObject({ status: 404 });
  });

  it('refuses an unknown status and an id that is no UUID (400), and knows no unknown id (404)', async () => {
    await expect(rejection(app.courierAdmin.list({ status: 'delivered', pageSize: 10 }))).resolves.toMatchObject({ status: 400, reason: 'Message status is not valid' });
    await expect(rejection(app.courierAdmin.get('not-a-uuid'))).resolves.toMatchObject({ status: 400 });
    await expect(rejection(app.courierAdmin.get(randomUUID()))).resolves.toMatchObject({ status: 404 });
  });
});
