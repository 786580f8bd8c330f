import { addressProblem, maskAddress, normalizeAddress, readAddress, redactAddresses } from '../../../lambdas/shared/address.js';

describe('the address grammar (what SES and RFC 5321 both accept)', () => {
  it.each([
    ['Jane.Doe@Example.COM', 'jane.doe@example.com'],
    ['  jane@example.com ', 'jane@example.com'],
    ['"Jane Doe" <Jane@Example.com>', 'jane@example.com'],
    ["o'brien+tag@mail.example.co.uk", "o'brien+tag@mail.example.co.uk"],
    ['a!#$%&*/=?^_`{|}~-b@example.com', 'a!#$%&*/=?^_`{|}~-b@example.com'],
    ['jane@müller.example', 'jane@xn--mller-kva.example'],
    ['jane@xn--mller-kva.example', 'jane@xn--mller-kva.example'],
    [`${'a'.repeat(64)}@example.com`, `${'a'.repeat(64)}@example.com`],
  ])('reads %j as %j', (raw, expected) => {
    expect(readAddress(raw)).toEqual({ address: expected });
    expect(normalizeAddress(raw)).toBe(expected);
  });

  it.each([
    ['no-at-sign', 'not an email address (no local part and domain around an at sign)'],
    ['@example.com', 'not an email address (no local part and domain around an at sign)'],
    ['jane@', 'not an email address (no local part and domain around an at sign)'],
    ['', 'empty'],
    ['jane doe@example.com', 'local part has a character RFC 5321 does not allow unquoted'],
    ['"john doe"@example.com', 'quoted local part (SES takes dot-atom local parts only)'],
    ['jörg.müller@example.de', 'local part is not 7-bit ASCII (SES does not support SMTPUTF8)'],
    ['jane\u200b@example.com', 'local part is not 7-bit ASCII (SES does not support SMTPUTF8)'],
    ['foo@bar', 'domain has no dot'],
    ['a@b@example.com', 'more than one at sign'],
    ['<script>@example.com', 'angle brackets that are not a display-name form'],
    ['a@example.com,b@example.com', 'more than one at sign'],
    ['http://user@example.com/path', 'local part has a character RFC 5321 does not allow unquoted'],
    ['bounce@simulator.amazonses.com.', 'domain ends with a dot'],
    ['jane.doe@[192.0.2.1]', 'address literal (SES sends to domain names only)'],
    ['jane@192.0.2.1', 'domain is an IP address, not a name'],
    ['jane@-example.com', 'domain is not a valid host name'],
    ['.jane@example.com', 'misplaced dot in the local part'],
    ['ja..ne@example.com', 'misplaced dot in the local part'],
    [`${'a'.repeat(65)}@example.com`, 'local part longer than 64 characters'],
    [`a@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(63)}.${'e'.repeat(60)}.com`, 'longer than 254 characters'],
    [`a@${'b'.repeat(64)}.com`, 'domain or one of its labels is too long'],
  ])('rejects %j: %s', (raw, problem) => {
    expect(readAddress(raw)).toEqual({ problem });
    expect(() => normalizeAddress(raw)).toThrow(`SES would refuse this address: ${problem}`);
  });

  it('takes bare addresses only from operators (no display-name form)', () => {
    expect(addressProblem('Jane <jane@example.com>')).toBe('not a bare address (angle brackets)');
    expect(addressProblem('jane@example.com')).toBeUndefined();
  });
});

describe('masking', () => {
  it.each([
    ['jane.doe@example.com', 'j***@example.com'],
    ['jörg.müller@example.de', 'j***@example.de'],
    ['"jane doe"@example.com', '***@example.com'],
    ['!jane@example.com', '***@example.com'],
    ['no-at-sign', '***'],
  ])('masks %j as %j: at most the first letter or digit of the local part', (address, masked) => {
    expect(maskAddress(address)).toBe(masked);
  });

  it.each([
    ['550 5.1.1 <bob@example.org>: unknown; cc alice.b@mail.example.net', '550 5.1.1 <b***@example.org>: unknown; cc a***@mail.example.net'],
    ['to jörg.müller@example.de failed', 'to j***@example.de failed'],
    ['to a!jane.doe@example.com failed', 'to a***@example.com failed'],
    ['foo@bar and "jane doe"@example.com and jane.doe@[192.0.2.1]', 'f***@bar and ***@example.com and j***@[192.0.2.1]'],
    ['see http://user@example.com/path', 'see h***@example.com/path'],
    ['no address here', 'no address here'],
  ])('masks the local part of every token with an @ in %j, valid address or not', (text, expected) => {
    expect(redactAddresses(text)).toBe(expected);
  });
});
