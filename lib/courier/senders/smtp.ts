/** SMTP delivery with nodemailer, configured from Kratos's connection URI (lib/config/courier.ts). */
import nodemailer from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport/index.js';
import type { CourierConfig, SmtpConnection } from '../../config/courier.js';
import type { MailSender } from './mail.js';

/** Kratos dials with a 10 s timeout; a courier invocation must not hang on a dead server either. */
const CONNECT_TIMEOUT_MS = 10_000;
const SOCKET_TIMEOUT_MS = 20_000;

export class SmtpNotConfiguredError extends Error {
  override name = 'SmtpNotConfiguredError';
}

/** nodemailer's options for a Kratos connection URI. */
export function smtpTransportOptions(smtp: SmtpConnection, localName: string): SMTPTransport.Options {
  return {
    host: smtp.host,
    port: smtp.port,
    secure: smtp.implicitTls,
    // smtp:// enforces StartTLS as Kratos does (MandatoryStartTLS) unless disable_starttls=true, which sends in clear.
    ...(smtp.implicitTls ? {} : smtp.startTls === 'required' ? { requireTLS: true } : { ignoreTLS: true }),
    tls: { rejectUnauthorized: !smtp.skipSslVerify, servername: smtp.serverName },
    name: localName,
    ...(smtp.username ? { auth: { user: smtp.username, pass: smtp.password ?? '' } } : {}),
    connectionTimeout: CONNECT_TIMEOUT_MS,
    greetingTimeout: CONNECT_TIMEOUT_MS,
    socketTimeout: SOCKET_TIMEOUT_MS,
    logger: false,
    debug: false,
  };
}

export function createSmtpSender(config: CourierConfig): MailSender {
  const smtp = config.smtp;
  if (!smtp) {
    return {
      send: async () => {
        throw new SmtpNotConfiguredError('COURIER_SMTP_CONNECTION_URI is not set');
      },
    };
  }
  const transport = nodemailer.createTransport(smtpTransportOptions(smtp, config.localName));
  return {
    async send(mail) {
      await transport.sendMail({
        from: mail.from.name ? { name: mail.from.name, address: mail.from.address } : mail.from.address,
        to: mail.to,
        subject: mail.subject,
        text: mail.text,
        html: mail.html,
        headers: mail.headers,
      });
    },
  };
}
