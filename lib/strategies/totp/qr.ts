/**
 * The QR code of a TOTP key's URL, as a PNG data URL: only the settings flow that offers a new key draws one, so in a
 * Lambda bundle this is a file of its own, totp-qr.cjs (scripts/package.ts), which no other function parses.
 */
import QRCode from 'qrcode';

export function qrDataUrl(text: string, width: number): Promise<string> {
  return QRCode.toDataURL(text, { width, margin: 1 });
}
