/**
 * The events the pipeline puts on the account's default EventBridge bus for the user's own systems
 * (a CRM that marks a contact, a ticket for the sender of a paused stream): their source, detail
 * type and detail. A contract with code we do not see, so fields are added, never renamed.
 */

/**
 * The EventBridge event the writer puts for every address SES accepted onto the suppression list.
 * Its detail holds no more personal data than the address and the reason.
 */
export const ADDRESS_SUPPRESSED_EVENT = {
  source: 'ses-feedback-pipeline',
  detailType: 'Address Suppressed',
  /** PutEvents takes at most 10 entries per call. */
  entriesPerCall: 10,
} as const;

/** The EventBridge event the guardrail puts when it pauses a configuration set. */
export const CONFIGURATION_SET_PAUSED_EVENT = {
  source: 'ses-feedback-pipeline',
  detailType: 'Configuration Set Paused',
} as const;

/** The detail of a {@link CONFIGURATION_SET_PAUSED_EVENT}. */
export interface ConfigurationSetPausedDetail {
  readonly configurationSet: string;
  readonly alarmName: string;
  readonly metric: 'bounce' | 'complaint';
  readonly threshold: number;
  /** The rate CloudWatch evaluated when the alarm fired, when it said. */
  readonly rate?: number;
  /** When the alarm changed state (ISO 8601). */
  readonly pausedAt: string;
}

/** The detail of an {@link ADDRESS_SUPPRESSED_EVENT}. */
export interface AddressSuppressedDetail {
  readonly address: string;
  readonly reason: 'BOUNCE' | 'COMPLAINT';
  /** When SES accepted it (ISO 8601). */
  readonly suppressedAt: string;
  /** `put` (one SES call) or `import` (an SES import job of the pipeline). */
  readonly via: string;
  /**
   * When the suppression ends by itself (ISO 8601): present only for an address whose soft bounces
   * escalated; an "Address Unsuppressed" event follows then.
   */
  readonly temporaryUntil?: string;
}

/** The EventBridge event the writer puts for every temporary suppression SES took off the list when it ended. */
export const ADDRESS_UNSUPPRESSED_EVENT = {
  source: ADDRESS_SUPPRESSED_EVENT.source,
  detailType: 'Address Unsuppressed',
} as const;

/** The detail of an {@link ADDRESS_UNSUPPRESSED_EVENT}. */
export interface AddressUnsuppressedDetail {
  readonly address: string;
  /** When SES took it off the list (ISO 8601). */
  readonly unsuppressedAt: string;
  /**
   * `expiry`: the temporary suppression of an address whose soft bounces escalated ended;
   * `withdrawal`: a delivery after the soft bounces it counted withdrew it early;
   * `operator`: an operator took it off (`ses-feedback suppression remove`).
   */
  readonly cause: 'expiry' | 'withdrawal' | 'operator';
  /** `expiry`, `withdrawal` or `operator-removal`: each one DeleteSuppressedDestination call. */
  readonly via: string;
}
