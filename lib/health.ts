/** Health answers, shared by the public (`/health/*`) and admin (`/admin/health/*`) routes. */
import { appStore } from './app.js';
import type { HttpResult } from './http/response.js';

export async function alive(): Promise<HttpResult> {
  return { status: 200, body: { status: 'ok' } };
}

/** Ready when the function reaches its DynamoDB table; 503 with Kratos's not-ready body otherwise. */
export async function ready(): Promise<HttpResult> {
  try {
    await appStore().ping();
  } catch {
    return { status: 503, body: { errors: { database: 'The database is unreachable.' } } };
  }
  return { status: 200, body: { status: 'ok' } };
}
