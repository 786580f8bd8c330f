import { MalformedMessageError } from './errors.js';

const SIMULATOR_DOMAIN = 'simulator.amazonses.com';

/**
 * Canonical form of a recipient address: `Name <a@b>` unwrapped, trimmed, lower-cased.
 *
 * Addresses are compared case-insensitively everywhere, so every key and every decision uses this form.
 */
export function normalizeAddress(raw: string): string {
  const angle = /<([^<>]+)>\s*$/.exec(raw);
  const address = (angle?.[1] ?? raw).trim().toLowerCase();
  const at = address.lastIndexOf('@');
  if (at <= 0 || at === address.length - 1 || /\s/.test(address)) {
    throw new MalformedMessageError('recipient is not an email address');
  }
  return address;
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
 * A form of the address that is safe to log: first character of the local part, then `***`.
 *
 * `jane.doe@example.com` becomes `j***@example.com`.
 */
export function maskAddress(address: string): string {
  const at = address.lastIndexOf('@');
  if (at <= 0) return '***';
  return `${address[0] ?? ''}***@${address.slice(at + 1)}`;
}

const ADDRESS_IN_TEXT = /[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+/g;

/** Masks every email address inside free text (SDK error messages, SMTP diagnostics) before it is logged. */
export function redactAddresses(text: string): string {
  return text.replace(ADDRESS_IN_TEXT, (address) => maskAddress(address));
}

/** Every address-shaped token in free text, normalised (for files whose layout is not documented). */
export function addressesInText(text: string): Set<string> {
  return new Set(Array.from(text.matchAll(ADDRESS_IN_TEXT), (m) => m[0].toLowerCase()));
}

const VALID_ADDRESS = /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;

/**
 * Why a bare address (no display name) cannot go on the suppression list, or undefined if it can:
 * the RFC 5321 shape SES accepts (dot-atom local part of at most 64 characters, a domain with at
 * least one dot, 254 characters in all). Used to validate operator input before any SES call.
 */
export function addressProblem(address: string): string | undefined {
  if (address.length === 0) return 'empty';
  if (address.length > 254) return 'longer than 254 characters';
  if (!VALID_ADDRESS.test(address)) return 'not an email address';
  const local = address.slice(0, address.lastIndexOf('@'));
  if (local.length > 64) return 'local part longer than 64 characters';
  if (local.startsWith('.') || local.endsWith('.') || local.includes('..')) return 'misplaced dot in the local part';
  return undefined;
}
