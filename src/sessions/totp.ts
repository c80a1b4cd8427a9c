import { Secret, TOTP } from 'otpauth';

/** RFC 6238 as the contract fixes it: SHA-1, 6 digits, 30-second steps, one step of drift either way. */
export const TOTP_PERIOD = 30;
export const TOTP_DIGITS = 6;
export const TOTP_WINDOW = 1;

export function newTotpSecret(): string {
  return new Secret({ size: 20 }).base32;
}

function totp(secretBase32: string, digits = TOTP_DIGITS): TOTP {
  return new TOTP({ secret: Secret.fromBase32(secretBase32), algorithm: 'SHA1', digits, period: TOTP_PERIOD });
}

export function totpCode(secretBase32: string, timestampMs: number, digits = TOTP_DIGITS): string {
  return totp(secretBase32, digits).generate({ timestamp: timestampMs });
}

export function otpauthUrl(secretBase32: string, issuer: string, account: string): string {
  const t = new TOTP({ issuer, label: account, secret: Secret.fromBase32(secretBase32), algorithm: 'SHA1', digits: TOTP_DIGITS, period: TOTP_PERIOD });
  return t.toString();
}

/** The time step a code matches (within the window), or null. */
export function matchingStep(secretBase32: string, code: string, timestampMs: number): number | null {
  if (!/^\d{6}$/.test(code)) return null;
  const delta = totp(secretBase32).validate({ token: code, timestamp: timestampMs, window: TOTP_WINDOW });
  if (delta === null) return null;
  return Math.floor(timestampMs / 1000 / TOTP_PERIOD) + delta;
}
