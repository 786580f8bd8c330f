/**
 * What a bounced recipient's DSN status (RFC 3463 enhanced status code, `class.subject.detail`)
 * says about the failure, in the terms the classification contract decides by.
 *
 * - `address`: 5.1.x (bad mailbox, bad domain, null MX 5.1.10, moved 5.1.6), 5.2.1 (mailbox
 *   disabled), 5.4.4 (unroutable): the address itself will not take mail.
 * - `policy`: 5.7.x (spam blocks, rate limits, DMARC 5.7.26): the receiver refused the sender.
 * - `content`: 5.6.x, 5.3.4 (too big): the receiver refused the message.
 * - `other-permanent`: any other 5.x.x (5.0.0, 5.2.2 mailbox full, 5.4.1, 5.5.x): nothing certain.
 * - `transient`: 4.x.x.
 * - `none`: no enhanced code to read.
 */
export type DsnClass = 'address' | 'policy' | 'content' | 'other-permanent' | 'transient' | 'none';

/** A recipient's enhanced status code (`5.7.26`) and its class. */
export interface DsnStatus {
  /** Undefined when neither the status nor the diagnostic code carries one. */
  readonly code: string | undefined;
  readonly dsnClass: DsnClass;
}

/**
 * An enhanced code at the start of a status (`5.1.1`, `5.0.0 (permanent failure)`) or of a
 * diagnostic code after its type and SMTP reply code (`smtp; 550 5.1.1 …`, `550-5.7.1 …`,
 * `smtp;554 #5.4.4 …`). Subject and detail have 1-3 digits (`5.1.10`); class 2 is no failure.
 * Anchored, so a recipient costs one match however long its diagnostic.
 */
const ENHANCED_CODE = /^\s*(?:[a-z][\w-]*;\s*)?(?:\d{3}[ -]#?)?([45])\.(\d{1,3})\.(\d{1,3})(?!\d)/i;

const NONE: DsnStatus = { code: undefined, dsnClass: 'none' };

/**
 * Reads a bounced recipient's DSN status: from `status` when it carries an enhanced code, else
 * from the one at the start of `diagnosticCode`.
 */
export function readDsnStatus(status: string | undefined, diagnosticCode: string | undefined): DsnStatus {
  const match = (status === undefined ? null : ENHANCED_CODE.exec(status)) ?? (diagnosticCode === undefined ? null : ENHANCED_CODE.exec(diagnosticCode));
  if (match === null) return NONE;
  const [, failure, subjectText, detailText] = match as unknown as [string, string, string, string];
  const subject = Number(subjectText);
  const detail = Number(detailText);
  return { code: `${failure}.${subject}.${detail}`, dsnClass: failure === '4' ? 'transient' : permanentClass(subject, detail) };
}

function permanentClass(subject: number, detail: number): DsnClass {
  switch (subject) {
    case 1:
      return 'address';
    case 2:
      return detail === 1 ? 'address' : 'other-permanent';
    case 3:
      return detail === 4 ? 'content' : 'other-permanent';
    case 4:
      return detail === 4 ? 'address' : 'other-permanent';
    case 6:
      return 'content';
    case 7:
      return 'policy';
    default:
      return 'other-permanent';
  }
}
