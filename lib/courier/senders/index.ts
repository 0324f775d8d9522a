/**
 * How an e-mail leaves: one sender per delivery strategy (COURIER_DELIVERY_STRATEGY), built once per cold start.
 * The SDK of each is loaded only when its strategy is chosen.
 */
import type { CourierConfig } from '../../config/courier.js';

export interface OutgoingMail {
  to: string;
  /** `Name <address>` or a bare address. */
  from: { name?: string; address: string };
  subject: string;
  text: string;
  html: string;
  headers: Record<string, string>;
}

export interface MailSender {
  /** Resolves once the server or service accepted the mail; rejects with its error otherwise. */
  send(mail: OutgoingMail): Promise<void>;
}

export async function createMailSender(config: CourierConfig): Promise<MailSender> {
  if (config.deliveryStrategy === 'ses') {
    const { createSesSender } = await import('./ses.js');
    return createSesSender(config.ses);
  }
  const { createSmtpSender } = await import('./smtp.js');
  return createSmtpSender(config);
}
