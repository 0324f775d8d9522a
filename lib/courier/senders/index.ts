/**
 * How an e-mail leaves: one sender per delivery strategy (COURIER_DELIVERY_STRATEGY), built once per cold start.
 * The SDK of each is loaded only when its strategy is chosen.
 */
import type { CourierConfig } from '../../config/courier.js';
import type { MailSender } from './mail.js';

export type { MailSender, OutgoingMail } from './mail.js';

export async function createMailSender(config: CourierConfig): Promise<MailSender> {
  if (config.deliveryStrategy === 'ses') {
    const { createSesSender } = await import('./ses.js');
    return createSesSender(config.ses);
  }
  const { createSmtpSender } = await import('./smtp.js');
  return createSmtpSender(config);
}
