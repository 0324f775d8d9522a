/**
 * Structured logs: one JSON object per line, so CloudWatch (or anything else) can query them, carrying the
 * trace and span ids that join a log line to its trace. Known secret shapes are redacted from every string
 * as a last line of defence; the code never hands a password, hash, token or key to the logger on purpose.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<LogLevel | 'silent', number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

let minimum = ORDER.info;

/** The threshold, from the configuration's LOG_LEVEL (set once at cold start; `info` until then). */
export function setLogLevel(level: LogLevel | 'silent'): void {
  minimum = ORDER[level];
}

const SECRET_SHAPES = [/\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}/g, /ory_st_[A-Za-z0-9]{32}/g];
const secrets = new Set<string>();

/** A secret this process holds (the admin key in use, wherever it was read from): never written to the log. */
export function redactFromLogs(secret: string): void {
  if (secret.length >= 8) secrets.add(secret);
}

export function redact(text: string): string {
  let out = text;
  for (const shape of SECRET_SHAPES) out = out.replace(shape, '[REDACTED]');
  for (const secret of secrets) out = out.split(secret).join('[REDACTED]');
  return out;
}

export function log(level: LogLevel, msg: string, fields: Record<string, unknown> = {}): void {
  if (ORDER[level] < minimum) return;
  const line = redact(JSON.stringify({ level, time: new Date().toISOString(), msg, ...fields }));
  (level === 'error' || level === 'warn' ? process.stderr : process.stdout).write(`${line}\n`);
}

let warningsCaptured = false;

/**
 * Node prints process warnings (deprecations, the AWS SDK's Node version notice) as plain text on stderr;
 * they become JSON log lines like everything else, so every line of a function's log parses.
 */
export function captureProcessWarnings(): void {
  if (warningsCaptured) return;
  warningsCaptured = true;
  process.removeAllListeners('warning');
  process.on('warning', (warning: Error & { code?: string }) => {
    log('warn', warning.message, { warning: warning.name, ...(warning.code ? { code: warning.code } : {}) });
  });
}
