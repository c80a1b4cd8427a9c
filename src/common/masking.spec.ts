import { maskEmail, maskEmailsIn, maskIpEntry, maskPhone } from './masking.js';

describe('masking', () => {
  it.each([
    ['email@website.com', 'e***@website.com'],
    ['m@bar.com', 'm***@bar.com'],
    ['mary.jones+tag@sub.example.org', 'm***@sub.example.org'],
    ['"a@b"@example.com', '"***@example.com'],
  ])('masks the email %s as %s', (input, expected) => {
    expect(maskEmail(input)).toBe(expected);
  });

  it.each([
    ['+18043257762', '+*******7762'],
    ['18043257762', '*******7762'],
    ['+4915112345678', '+*********5678'],
    ['1234', '1234'],
    ['123', '123'],
  ])('masks the phone %s as %s', (input, expected) => {
    expect(maskPhone(input)).toBe(expected);
  });

  it('keeps exactly the last four digits of a phone and its length', () => {
    const masked = maskPhone('+18043257762');
    expect(masked).toHaveLength('+18043257762'.length);
    expect(masked.replace(/\*/g, '')).toBe('+7762');
  });

  it('replaces every IP entry with ***', () => {
    expect(maskIpEntry('79.24.241.198')).toBe('***');
    expect(maskIpEntry('2001:db8::/32')).toBe('***');
  });

  it('masks every e-mail address inside free text', () => {
    expect(maskEmailsIn('550 5.1.1 <ann.smith@example.com>: Recipient address rejected')).toBe('550 5.1.1 <a***@example.com>: Recipient address rejected');
    expect(maskEmailsIn('to bob@x.example.org, cc carol+tag@example.com; done')).toBe('to b***@x.example.org, cc c***@example.com; done');
    expect(maskEmailsIn('Pool is closed. No address @ all')).toBe('Pool is closed. No address @ all');
  });
});
