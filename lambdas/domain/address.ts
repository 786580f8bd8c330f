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
