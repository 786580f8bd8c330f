import { domainToASCII } from 'node:url';
import { MalformedMessageError } from './errors.js';

const SIMULATOR_DOMAIN = 'simulator.amazonses.com';

/** A recipient read as an address the suppression list can hold, or why it cannot be one. */
export type AddressReading = { readonly address: string; readonly problem?: undefined } | { readonly address?: undefined; readonly problem: string };

/** `Name <addr>`: the part inside the last angle brackets. */
const DISPLAY_FORM = /^[^<>]*<([^<>]*)>\s*$/;
/** RFC 5321 Dot-string of RFC 5322 atext (7-bit ASCII), `@`, then an ASCII domain: the shape, lower-cased. */
const ADDRESS = /^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*@[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+$/;
const NON_ASCII = /[^\x20-\x7e]/;
const MAX_ADDRESS = 254;
const MAX_LOCAL_PART = 64;
const MAX_DOMAIN = 253;
/** A label longer than 63 characters (no allocation: this runs for every recipient). */
const LONG_LABEL = /[^.]{64}/;
/** The last label all digits: a bare IP address, not a host name. */
const NUMERIC_TOP_LABEL = /\.\d+$/;

/**
 * Reads a recipient as both SES and RFC 5321 accept it, in the one canonical form every key,
 * decision and comparison of the pipeline uses.
 *
 * The grammar: an optional display name around `<address>`; a local part that is an RFC 5321
 * Dot-string of 7-bit ASCII atext (SES does not support SMTPUTF8, so a Unicode local part, a
 * quoted string or a space cannot be on its list), at most 64 octets; a domain of at least two
 * labels of letters, digits and inner hyphens (1-63 each, the last not all digits, so no address
 * literal or bare IP), at most 253 characters, no trailing dot; at most 254 characters in all. A
 * Unicode domain is converted to Punycode, as SES requires it. Everything is lower-cased: addresses
 * are compared case-insensitively.
 */
export function readAddress(raw: string): AddressReading {
  let text = raw;
  if (text.includes('<') || text.includes('>')) {
    const inner = DISPLAY_FORM.exec(text)?.[1];
    if (inner === undefined) return { problem: 'angle brackets that are not a display-name form' };
    text = inner;
  }
  text = text.trim().toLowerCase();
  if (text === '') return { problem: 'empty' };
  const at = text.lastIndexOf('@');
  if (at <= 0 || at === text.length - 1) return { problem: 'not an email address (no local part and domain around an at sign)' };
  const local = text.slice(0, at);
  let domain = text.slice(at + 1);
  if (NON_ASCII.test(local)) return { problem: 'local part is not 7-bit ASCII (SES does not support SMTPUTF8)' };
  if (NON_ASCII.test(domain)) {
    const ascii = domainToASCII(domain);
    if (ascii === '' || NON_ASCII.test(ascii)) return { problem: 'domain is not a valid internationalized domain name' };
    domain = ascii;
  }
  const address = `${local}@${domain}`;
  if (address.length > MAX_ADDRESS) return { problem: `longer than ${MAX_ADDRESS} characters` };
  if (local.length > MAX_LOCAL_PART) return { problem: `local part longer than ${MAX_LOCAL_PART} characters` };
  if (domain.length > MAX_DOMAIN || LONG_LABEL.test(domain)) return { problem: 'domain or one of its labels is too long' };
  if (!ADDRESS.test(address)) return { problem: problemOfShape(local, domain) };
  if (NUMERIC_TOP_LABEL.test(domain)) return { problem: 'domain is an IP address, not a name' };
  return { address };
}

/** The first rule a well-sized address breaks, in words (never the address). */
function problemOfShape(local: string, domain: string): string {
  if (local.includes('@')) return 'more than one at sign';
  if (local.startsWith('"')) return 'quoted local part (SES takes dot-atom local parts only)';
  if (/^\.|\.$|\.\./.test(local)) return 'misplaced dot in the local part';
  if (!/^[a-z0-9!#$%&'*+/=?^_`{|}~.-]+$/.test(local)) return 'local part has a character RFC 5321 does not allow unquoted';
  if (domain.startsWith('[')) return 'address literal (SES sends to domain names only)';
  if (domain.endsWith('.')) return 'domain ends with a dot';
  if (!domain.includes('.')) return 'domain has no dot';
  return 'domain is not a valid host name';
}

/**
 * The canonical form of a recipient ({@link readAddress}).
 *
 * @throws MalformedMessageError with what is wrong, never the address itself
 */
export function normalizeAddress(raw: string): string {
  const reading = readAddress(raw);
  if (reading.problem !== undefined) throw new MalformedMessageError(`SES would refuse this address: ${reading.problem}`);
  return reading.address;
}

/** Why a bare address cannot go on the suppression list, or undefined if it can ({@link readAddress}). */
export function addressProblem(address: string): string | undefined {
  if (address.includes('<') || address.includes('>')) return 'not a bare address (angle brackets)';
  return readAddress(address).problem;
}

/** The part after the last `@`. */
export function domainOf(address: string): string {
  return address.slice(address.lastIndexOf('@') + 1);
}

/** True for the SES mailbox simulator (`success@`, `bounce+label@` …): test traffic, never suppressed. */
export function isSimulatorAddress(address: string): boolean {
  return domainOf(address) === SIMULATOR_DOMAIN;
}

/**
 * A form of an address that is safe to log: at most the first character of the local part (a
 * letter or digit), then `***`, then the domain. `jane.doe@example.com` becomes `j***@example.com`;
 * `"jane doe"@example.com` becomes `***@example.com`.
 */
export function maskAddress(address: string): string {
  const at = address.lastIndexOf('@');
  if (at < 0) return '***';
  const first = /^[A-Za-z0-9]/.exec(address)?.[0] ?? '';
  return `${first}***@${address.slice(at + 1)}`;
}

/**
 * A token of free text that may hold an address: a quoted string run into an `@`, or any run of
 * characters without whitespace that holds an `@` (whatever its shape: masking must not depend on
 * the address being valid).
 */
const TOKEN_WITH_AT = /"(?:[^"\\\r\n]|\\.)*"@[^\s"<>(),;]*|[^\s"<>(),;]*@[^\s"<>(),;]*/g;

/**
 * Masks the local part of every token that contains an `@` in free text (SDK error messages, SMTP
 * diagnostics, reasons) before it is logged: no address, valid or not, survives in clear.
 */
export function redactAddresses(text: string): string {
  return text.includes('@') ? text.replace(TOKEN_WITH_AT, (token) => (token === '@' ? token : maskAddress(token))) : text;
}
