/**
 * `GET /.well-known/ory/webauthn.js`: our script (written here, not Kratos's), defining the global functions Kratos's
 * script defines and Ory's UIs call by name from a node's `onclickTrigger`/`onloadTrigger` (or eval from its
 * `onclick`/`onload`): `oryWebAuthnRegistration`, `oryWebAuthnLogin`, `oryPasskeyLogin`,
 * `oryPasskeyLoginAutocompleteInit`, `oryPasskeyRegistration`, `oryPasskeySettingsRegistration` (and their `__`-prefixed
 * names, which Ory Elements v0 calls). Each reads the options from the flow's node, runs the ceremony, writes the
 * credential as JSON with base64url fields into the hidden input Kratos routes on, and submits its form natively
 * (urlencoded, no `method`), as Kratos's does. The script node's `integrity` is the SHA-512 of these bytes.
 */
import { createHash } from 'node:crypto';

export const WEBAUTHN_SCRIPT_PATH = '/.well-known/ory/webauthn.js';

export const WEBAUTHN_SCRIPT = `/* WebAuthn and passkey ceremonies for self-service forms (Kratos-compatible globals). */
(function () {
  'use strict';
  if (typeof window === 'undefined' || window.__oryWebAuthnInitialized) return;

  function fromB64url(text) {
    var b64 = String(text).replace(/-/g, '+').replace(/_/g, '/');
    var raw = atob(b64 + '==='.slice((b64.length + 3) % 4));
    var out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
    return out;
  }
  function toB64url(buffer) {
    if (!buffer) return '';
    var bytes = new Uint8Array(buffer), s = '';
    for (var i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
    return btoa(s).replace(/\\+/g, '-').replace(/\\//g, '_').replace(/=+$/, '');
  }
  function field(name) { return document.getElementsByName(name)[0]; }
  function withIds(list) {
    return (list || []).map(function (d) { return Object.assign({}, d, { id: fromB64url(d.id) }); });
  }
  function creationOptions(publicKey) {
    var pk = Object.assign({}, publicKey);
    pk.challenge = fromB64url(pk.challenge);
    pk.user = Object.assign({}, pk.user, { id: fromB64url(pk.user.id) });
    if (pk.excludeCredentials) pk.excludeCredentials = withIds(pk.excludeCredentials);
    return pk;
  }
  function requestOptions(publicKey) {
    var pk = Object.assign({}, publicKey);
    pk.challenge = fromB64url(pk.challenge);
    if (pk.allowCredentials) pk.allowCredentials = withIds(pk.allowCredentials);
    return pk;
  }
  function attestationJson(credential) {
    return JSON.stringify({
      id: credential.id, rawId: toB64url(credential.rawId), type: credential.type,
      response: { attestationObject: toB64url(credential.response.attestationObject), clientDataJSON: toB64url(credential.response.clientDataJSON) }
    });
  }
  function assertionJson(credential) {
    var r = credential.response;
    return JSON.stringify({
      id: credential.id, rawId: toB64url(credential.rawId), type: credential.type,
      response: { authenticatorData: toB64url(r.authenticatorData), clientDataJSON: toB64url(r.clientDataJSON), signature: toB64url(r.signature), userHandle: toB64url(r.userHandle) }
    });
  }
  function submitWith(input, value) {
    input.value = value;
    input.closest('form').submit();
  }
  function supported() {
    if (window.PublicKeyCredential) return true;
    console.error('[webauthn.js] this browser does not support WebAuthn');
    return false;
  }
  function optionsFrom(given, triggerName) {
    if (given) return typeof given === 'string' ? JSON.parse(given) : given;
    return JSON.parse(field(triggerName).value);
  }
  function stopAutocomplete() {
    if (window.abortPasskeyConditionalUI) {
      window.abortPasskeyConditionalUI.abort('a passkey was asked for explicitly');
      window.abortPasskeyConditionalUI = undefined;
    }
  }

  function oryWebAuthnRegistration(options) {
    if (!supported()) return;
    var opt = optionsFrom(options, 'webauthn_register_trigger');
    navigator.credentials.create({ publicKey: creationOptions(opt.publicKey) })
      .then(function (c) { submitWith(field('webauthn_register'), attestationJson(c)); })
      .catch(function (e) { console.error('[webauthn.js] registration failed', e); });
  }

  function oryWebAuthnLogin(options) {
    if (!supported()) return;
    var opt = optionsFrom(options, 'webauthn_login_trigger');
    navigator.credentials.get({ publicKey: requestOptions(opt.publicKey) })
      .then(function (c) { submitWith(field('webauthn_login'), assertionJson(c)); })
      .catch(function (e) { console.error('[webauthn.js] sign-in failed', e); });
  }

  function oryPasskeyLogin() {
    var data = field('passkey_challenge'), result = field('passkey_login');
    if (!data || !result || !supported()) return;
    stopAutocomplete();
    navigator.credentials.get({ publicKey: requestOptions(JSON.parse(data.value).publicKey) })
      .then(function (c) { submitWith(result, assertionJson(c)); })
      .catch(function (e) {
        console.error('[webauthn.js] passkey sign-in failed', e);
        return oryPasskeyLoginAutocompleteInit();
      });
  }

  function oryPasskeyLoginAutocompleteInit() {
    var data = field('passkey_challenge'), result = field('passkey_login');
    if (!data || !result || !field('identifier')) return Promise.resolve();
    var PKC = window.PublicKeyCredential;
    if (!PKC || !PKC.isConditionalMediationAvailable) return Promise.resolve();
    return PKC.isConditionalMediationAvailable().then(function (available) {
      if (!available) return;
      stopAutocomplete();
      var controller = new AbortController();
      window.abortPasskeyConditionalUI = controller;
      return navigator.credentials.get({ publicKey: requestOptions(JSON.parse(data.value).publicKey), mediation: 'conditional', signal: controller.signal })
        .then(function (c) { submitWith(result, assertionJson(c)); })
        .catch(function (e) { console.log('[webauthn.js] passkey autocomplete ended', e); });
    });
  }

  function passkeyCreate(resultName, read) {
    var data = field('passkey_create_data'), result = field(resultName);
    if (!data || !result || !supported()) return;
    navigator.credentials.create({ publicKey: creationOptions(read(JSON.parse(data.value), data.closest('form'))) })
      .then(function (c) { submitWith(result, attestationJson(c)); })
      .catch(function (e) { console.error('[webauthn.js] passkey registration failed', e); });
  }

  function oryPasskeyRegistration() {
    passkeyCreate('passkey_register', function (data, form) {
      var names = data.displayNameFieldNames && data.displayNameFieldNames.length ? data.displayNameFieldNames : [data.displayNameFieldName];
      var name = '';
      for (var i = 0; i < names.length && !name; i++) {
        var input = names[i] && form.querySelector('[name="' + names[i] + '"]');
        if (input && input.value) name = input.value;
      }
      var pk = data.credentialOptions.publicKey;
      pk.user = Object.assign({}, pk.user, { name: name, displayName: name });
      return pk;
    });
  }

  function oryPasskeySettingsRegistration() {
    passkeyCreate('passkey_settings_register', function (data) { return data.publicKey; });
  }

  var globals = {
    oryWebAuthnRegistration: oryWebAuthnRegistration,
    oryWebAuthnLogin: oryWebAuthnLogin,
    oryPasskeyLogin: oryPasskeyLogin,
    oryPasskeyLoginAutocompleteInit: oryPasskeyLoginAutocompleteInit,
    oryPasskeyRegistration: oryPasskeyRegistration,
    oryPasskeySettingsRegistration: oryPasskeySettingsRegistration
  };
  Object.keys(globals).forEach(function (name) {
    window[name] = globals[name];
    window['__' + name] = globals[name];
  });
  window.__oryWebAuthnInitialized = true;
  window.dispatchEvent(new CustomEvent('oryWebAuthnInitialized'));
})();
`;

let integrity: string | undefined;

/**
 * The script node's `integrity`: `sha512-<base64 of the SHA-512 of the served bytes>` (Subresource Integrity),
 * computed at its first use (not at every flow function's cold start, methods on or off).
 */
export function webauthnScriptIntegrity(): string {
  return (integrity ??= `sha512-${createHash('sha512').update(Buffer.from(WEBAUTHN_SCRIPT, 'utf8')).digest('base64')}`);
}
