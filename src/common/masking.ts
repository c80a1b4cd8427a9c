/**
 * Masking of personal data for callers that may not see it (API.md section 2). Pure
 * functions; the user mapper decides when they apply.
 */

/** `mary@bar.com` → `m***@bar.com`. Without an @ only the first character survives. */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  if (at < 0) return `${email.slice(0, 1)}***`;
  return `${email.slice(0, Math.min(1, at))}***${email.slice(at)}`;
}

/**
 * Free text from elsewhere (an SMTP server's refusal, a driver's message) with every e-mail
 * address in it masked: `550 5.1.1 <ann@example.com> unknown` → `550 5.1.1 <a***@example.com> unknown`.
 */
export function maskEmailsIn(text: string): string {
  return text.replace(/[^\s<>"'(),;:[\]]+@[^\s<>"'(),;:[\]@]+\.[A-Za-z]{2,}/g, (address) => maskEmail(address));
}

/** `+18043257762` → `+*******7762`: every digit but the last four becomes `*`; other characters stay. */
export function maskPhone(phone: string): string {
  const digits = phone.replace(/\D/g, '').length;
  let toMask = Math.max(0, digits - 4);
  let out = '';
  for (const char of phone) {
    if (/\d/.test(char) && toMask > 0) {
      out += '*';
      toMask -= 1;
    } else {
      out += char;
    }
  }
  return out;
}

/** An allow-list entry reveals nothing, not even its family. */
export function maskIpEntry(_entry: string): string {
  return '***';
}

/*
 * A masked rendering sent back (a masked viewer's read-modify-write) is never stored: these
 * recognise the shapes maskEmail, maskPhone and maskIpEntry produce, so the write can leave
 * the field as it is (API.md section 2).
 */

/** `m***@bar.com`: at most one character, then `***@`. */
export function isMaskedEmail(value: string): boolean {
  return /^[^@]?\*\*\*@/.test(value);
}

/** `+*******7762`: an optional `+`, stars, then the last four digits. */
export function isMaskedPhone(value: string): boolean {
  return /^\+?\*+\d{0,4}$/.test(value);
}

export const MASKED_IP_ENTRY = '***';
