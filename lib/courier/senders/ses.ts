/** Amazon SES delivery (SESv2 SendEmail) in the function's region, with the Lambda role's credentials. */
import { SendEmailCommand, SESv2Client } from '@aws-sdk/client-sesv2';
import type { CourierConfig } from '../../config/courier.js';
import type { MailSender } from './mail.js';

const quoted = (name: string) => `"${name.replace(/["\\]/g, '\\$&')}"`;

export function createSesSender(ses: CourierConfig['ses']): MailSender {
  const client = new SESv2Client({
    region: ses.region,
    ...(ses.endpoint ? { endpoint: ses.endpoint } : {}),
    maxAttempts: 2,
    requestHandler: { connectionTimeout: 5000, requestTimeout: 10_000 },
  });
  return {
    async send(mail) {
      await client.send(
        new SendEmailCommand({
          FromEmailAddress: mail.from.name ? `${quoted(mail.from.name)} <${mail.from.address}>` : mail.from.address,
          Destination: { ToAddresses: [mail.to] },
          Content: {
            Simple: {
              Subject: { Data: mail.subject, Charset: 'UTF-8' },
              Body: { Text: { Data: mail.text, Charset: 'UTF-8' }, Html: { Data: mail.html, Charset: 'UTF-8' } },
              ...(Object.keys(mail.headers).length > 0 ? { Headers: Object.entries(mail.headers).map(([Name, Value]) => ({ Name, Value })) } : {}),
            },
          },
        }),
      );
    },
  };
}
