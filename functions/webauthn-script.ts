import { httpFunction } from '../lib/http/stack.js';
import { WEBAUTHN_SCRIPT, WEBAUTHN_SCRIPT_PATH } from '../lib/webauthn/script.js';

/** GET /.well-known/ory/webauthn.js: the script the passkey and webauthn methods' buttons call (its integrity is on their script node). */
export const handler = httpFunction({ route: WEBAUTHN_SCRIPT_PATH }, async () => ({
  status: 200,
  text: WEBAUTHN_SCRIPT,
  headers: { 'Content-Type': 'text/javascript; charset=UTF-8' },
}));
