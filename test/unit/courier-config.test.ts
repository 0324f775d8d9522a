/** COURIER_* parsing (Kratos's courier.* keys), the SMTP URI forms and nodemailer's options; templates; failures. */
import { loadCourierConfig, parseSmtpConnectionUri } from '../../lib/config/courier.js';
import { ConfigError } from '../../lib/config/env.js';
import { describeFailure, retryDelayMs } from '../../lib/courier/dispatcher.js';
import { smtpTransportOptions } from '../../lib/courier/senders/smtp.js';
import { renderEmail } from '../../lib/courier/templates.js';

describe('courier configuration', () => {
  it('has Kratos’s defaults', () => {
    expect(loadCourierConfig({})).toEqual({
      deliveryStrategy: 'smtp',
      fromAddress: 'no-reply@ory.kratos.sh',
      headers: {},
      localName: 'localhost',
      messageRetries: 5,
      retryDelayMs: 30_000,
      ses: { region: 'us-east-1' },
    });
  });

  it('reads every variable', () => {
    const config = loadCourierConfig({
      COURIER_DELIVERY_STRATEGY: 'ses',
      COURIER_SMTP_CONNECTION_URI: 'smtps://user%40x:p%3Ass@mail.example.com/',
      COURIER_SMTP_FROM_ADDRESS: 'accounts@example.com',
      COURIER_SMTP_FROM_NAME: 'Example Accounts',
      COURIER_SMTP_HEADERS: '{"X-SES-CONFIGURATION-SET":"kratos"}',
      COURIER_SMTP_LOCAL_NAME: 'courier.example.com',
      COURIER_MESSAGE_RETRIES: '0',
      COURIER_MESSAGE_RETRY_DELAY: '2h',
      AWS_REGION: 'eu-west-1',
      AWS_ENDPOINT_URL_SESV2: 'http://localstack:4566',
    });
    expect(config).toMatchObject({
      deliveryStrategy: 'ses',
      fromAddress: 'accounts@example.com',
      fromName: 'Example Accounts',
      headers: { 'X-SES-CONFIGURATION-SET': 'kratos' },
      localName: 'courier.example.com',
      messageRetries: 0,
      retryDelayMs: 3_600_000, // capped at 1 h
      ses: { region: 'eu-west-1', endpoint: 'http://localstack:4566' },
    });
    expect(config.smtp).toEqual({
      host: 'mail.example.com',
      port: 465,
      implicitTls: true,
      startTls: 'required',
      skipSslVerify: false,
      serverName: 'mail.example.com',
      username: 'user@x',
      password: 'p:ss',
    });
  });

  it.each([
    ['COURIER_DELIVERY_STRATEGY', 'http', 'COURIER_DELIVERY_STRATEGY must be one of smtp, ses'],
    ['COURIER_SMTP_CONNECTION_URI', 'http://mail', 'COURIER_SMTP_CONNECTION_URI must be smtp://'],
    ['COURIER_SMTP_CONNECTION_URI', 'not a uri', 'COURIER_SMTP_CONNECTION_URI must be smtp://'],
    ['COURIER_SMTP_CONNECTION_URI', 'smtp://mail/?skip_ssl_verify=maybe', 'COURIER_SMTP_CONNECTION_URI: skip_ssl_verify must be true or false'],
    ['COURIER_SMTP_CONNECTION_URI', 'smtp://mail/?tls=1', 'COURIER_SMTP_CONNECTION_URI: unknown option "tls"'],
    ['COURIER_SMTP_FROM_ADDRESS', 'nobody', 'COURIER_SMTP_FROM_ADDRESS must be an e-mail address'],
    ['COURIER_SMTP_HEADERS', '[1]', 'COURIER_SMTP_HEADERS must be a JSON object'],
    ['COURIER_SMTP_HEADERS', '{"X-A": 1}', 'COURIER_SMTP_HEADERS: header "X-A" must be a string'],
    ['COURIER_SMTP_HEADERS', '{', 'COURIER_SMTP_HEADERS must be a JSON object'],
    ['COURIER_MESSAGE_RETRIES', '-1', 'COURIER_MESSAGE_RETRIES must be a whole number'],
    ['COURIER_MESSAGE_RETRY_DELAY', '30', 'COURIER_MESSAGE_RETRY_DELAY must be a positive duration'],
  ])('refuses a bad %s (%s), naming it', (name, value, message) => {
    expect(() => loadCourierConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadCourierConfig({ [name]: value })).toThrow(message);
  });

  it('never repeats the URI (it may hold the password) in its error', () => {
    expect(() => parseSmtpConnectionUri('ftp://user:secret-pass@mail')).toThrow(/^(?!.*secret-pass)/);
  });
});

describe('Kratos’s SMTP URI forms as nodemailer options', () => {
  it('smtps:// is implicit TLS', () => {
    expect(smtpTransportOptions(parseSmtpConnectionUri('smtps://test:test@mailslurper:1025/?skip_ssl_verify=true'), 'localhost')).toMatchObject({
      host: 'mailslurper',
      port: 1025,
      secure: true,
      tls: { rejectUnauthorized: false, servername: 'mailslurper' },
      auth: { user: 'test', pass: 'test' },
      name: 'localhost',
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
    });
  });

  it('smtp:// requires StartTLS, unless disable_starttls; server_name names the certificate', () => {
    const startTls = smtpTransportOptions(parseSmtpConnectionUri('smtp://mail.internal:587/?server_name=mail.example.com'), 'me');
    expect(startTls).toMatchObject({ secure: false, requireTLS: true, tls: { rejectUnauthorized: true, servername: 'mail.example.com' } });
    expect(startTls.ignoreTLS).toBeUndefined();
    const clear = smtpTransportOptions(parseSmtpConnectionUri('smtp://127.0.0.1:1025/?disable_starttls=true'), 'me');
    expect(clear).toMatchObject({ secure: false, ignoreTLS: true, port: 1025 });
    expect(clear.requireTLS).toBeUndefined();
    expect(clear.auth).toBeUndefined();
  });
});

describe('Kratos’s built-in templates', () => {
  it('recovery_code_valid', () => {
    expect(renderEmail('recovery_code_valid', { to: 'a@b.c', recovery_code: '123456', expires_in_minutes: 60 })).toEqual({
      subject: 'Use code 123456 to recover access to your account',
      text: 'Recover access to your account by entering the following code:\n\n123456\n\nIf this was not you, do nothing. This code expires in 60 minutes.\n',
      html: 'Recover access to your account by entering the following code:\n\n123456\n\nIf this was not you, do nothing. This code expires in 60 minutes.\n',
    });
  });

  it('verification_code_valid links the URL, escaped in HTML as Go’s html/template escapes it', () => {
    const mail = renderEmail('verification_code_valid', { to: 'a@b.c', verification_code: '654321', verification_url: 'https://id.example.com/self-service/verification?code=654321&flow=f1', expires_in_minutes: 15 });
    expect(mail.subject).toBe('Use code 654321 to verify your account');
    expect(mail.text).toContain('or clicking the following link:\n\nhttps://id.example.com/self-service/verification?code=654321&flow=f1\n\nIf this was not you, do nothing. This code / link expires in 15 minutes.\n');
    expect(mail.html).toContain('<a href="https://id.example.com/self-service/verification?code=654321&amp;flow=f1">https://id.example.com/self-service/verification?code=654321&amp;flow=f1</a>');
  });

  it('login_code_valid and registration_code_valid, word for word', () => {
    expect(renderEmail('login_code_valid', { to: 'a@b.c', login_code: '024680', expires_in_minutes: 60 })).toEqual({
      subject: 'Use code 024680 to log in',
      text: 'Login to your account with the following code:\n\n024680\n\nIt expires in 60 minutes.\n',
      html: 'Login to your account with the following code:\n\n024680\n\nIt expires in 60 minutes.\n',
    });
    expect(renderEmail('registration_code_valid', { to: 'a@b.c', registration_code: '135791', expires_in_minutes: 15 })).toEqual({
      subject: 'Use code 135791 to complete your account registration',
      text: 'Complete your account registration with the following code:\n\n135791\n\nThis code expires in 15 minutes.\n',
      html: 'Complete your account registration with the following code:\n\n135791\n\nThis code expires in 15 minutes.\n',
    });
  });

  it('the invalid ones', () => {
    expect(renderEmail('recovery_code_invalid', { to: 'a@b.c' }).subject).toBe('Account access attempted');
    expect(renderEmail('verification_code_invalid', { to: 'a@b.c' }).subject).toBe('Someone tried to verify this email address');
    expect(renderEmail('verification_code_invalid', { to: 'a@b.c' }).text).toMatch(/^Hi,\n\nsomeone asked to verify this email address, but we were unable to find an account/);
  });
});

describe('delivery failures', () => {
  it('are described by name, code and reply code only, never by their message', () => {
    const rejected = Object.assign(new Error("Can't send mail - all recipients were rejected: 550 <victim@example.org>: no such user"), { code: 'EENVELOPE', responseCode: 550 });
    expect(describeFailure(rejected)).toBe('Error EENVELOPE 550');
    expect(describeFailure(Object.assign(new Error('x'), { name: 'MessageRejected' }))).toBe('MessageRejected');
    expect(describeFailure(Object.assign(new Error('x'), { name: 'victim@example.org', code: 'lower case <a@b>' }))).toBe('Error');
    expect(describeFailure('a@b.c')).toBe('Error');
  });

  it('back off: the delay doubles with each attempt, at most 1 h', () => {
    expect([1, 2, 3, 4].map((n) => retryDelayMs(30_000, n))).toEqual([30_000, 60_000, 120_000, 240_000]);
    expect(retryDelayMs(30_000, 20)).toBe(3_600_000);
  });
});
