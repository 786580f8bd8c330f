import { maskAddress, normalizeAddress, redactAddresses } from '../../lambdas/domain/index.js';

describe('addresses', () => {
  it.each([
    ['Jane.Doe@Example.COM', 'jane.doe@example.com'],
    ['  jane@example.com ', 'jane@example.com'],
    ['"Jane Doe" <Jane@Example.com>', 'jane@example.com'],
  ])('normalises %s to %s', (raw, expected) => {
    expect(normalizeAddress(raw)).toBe(expected);
  });

  it.each(['no-at-sign', '@example.com', 'jane@', 'jane doe@example.com'])('rejects %j', (raw) => {
    expect(() => normalizeAddress(raw)).toThrow('recipient is not an email address');
  });

  it('masks all but the first character of the local part', () => {
    expect(maskAddress('jane.doe@example.com')).toBe('j***@example.com');
  });

  it('redacts every address inside free text', () => {
    expect(redactAddresses('550 5.1.1 <bob@example.org>: unknown; cc alice.b@mail.example.net')).toBe(
      '550 5.1.1 <b***@example.org>: unknown; cc a***@mail.example.net',
    );
  });
});
