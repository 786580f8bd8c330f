import type { AlertNotifier } from '../shared/ports.js';
/**
 * The reputation watcher: reads the SES account's enforcement status and reputation rates on a
 * schedule, keeps a snapshot of each reading (the history the appeal report shows), and tells the
 * team when the status leaves HEALTHY, sending is turned off, or either comes back. AWS otherwise
 * tells only the root account's mailbox.
 */

/** What SES says of the account now (SESv2 GetAccount plus the reputation metrics). */
export interface AccountReading {
  /** SESv2 `EnforcementStatus`: HEALTHY, PROBATION (under review) or SHUTDOWN (paused), or what AWS adds later. */
  readonly enforcementStatus: string;
  readonly sendingEnabled: boolean;
  readonly productionAccess: boolean;
  /** Latest `Reputation.BounceRate` (fraction); null when SES has published none lately. */
  readonly bounceRate: number | null;
  readonly complaintRate: number | null;
}

export interface AccountSnapshot extends AccountReading {
  /** When it was read (ISO 8601). */
  readonly at: string;
}

/** Reads the account's state. */
export interface AccountReader {
  read(): Promise<AccountReading>;
}

/** Where snapshots are kept (the audit trail). */
export interface AccountSnapshots {
  latest(): Promise<AccountSnapshot | undefined>;
  put(snapshot: AccountSnapshot): Promise<void>;
}


export interface AccountAssessment {
  /** HEALTHY and sending enabled. */
  readonly healthy: boolean;
  /** The status or sending changed since the last snapshot (or the first snapshot is not healthy). */
  readonly changed: boolean;
  /** What to tell the team, when anything changed. */
  readonly alert: { readonly subject: string; readonly message: string } | null;
}

export const HEALTHY = 'HEALTHY';

/** What the enforcement statuses mean, in the words an on-call engineer needs. */
const MEANING: Readonly<Record<string, string>> = {
  HEALTHY: 'no enforcement action',
  PROBATION: 'the account is under review: AWS may pause sending unless the bounce or complaint rate comes down',
  SHUTDOWN: 'sending is paused by AWS: open the case in the AWS console and appeal with evidence',
};

/** Compares a reading with the last snapshot; pure. */
export function assessAccount(previous: AccountSnapshot | undefined, current: AccountSnapshot): AccountAssessment {
  const healthy = current.enforcementStatus === HEALTHY && current.sendingEnabled;
  const changed = previous
    ? previous.enforcementStatus !== current.enforcementStatus || previous.sendingEnabled !== current.sendingEnabled
    : !healthy;
  if (!changed) return { healthy, changed, alert: null };
  const from = previous ? `${previous.enforcementStatus}${previous.sendingEnabled ? '' : ' (sending disabled)'}` : 'first reading';
  const to = `${current.enforcementStatus}${current.sendingEnabled ? '' : ' (sending disabled)'}`;
  const subject = healthy ? `SES account back to ${to}` : `SES account ${to}: act now`;
  const rates = `Bounce rate ${rate(current.bounceRate)}, complaint rate ${rate(current.complaintRate)} (AWS reviews at 5 % and 0.1 %).`;
  const meaning = MEANING[current.enforcementStatus] ?? 'a status this watcher does not know yet: read the AWS console';
  const steps = healthy
    ? 'No action needed; keep the report of this episode (ses-feedback report) with the case.'
    : 'Next: find the cause with `ses-feedback report --since <date>` (campaigns, lists and domains behind the bounces and complaints), stop that sending, ' +
      'and send the report with the appeal. `ses-feedback status` shows the live rates.';
  return {
    healthy,
    changed,
    alert: { subject: subject.slice(0, 100), message: `Enforcement status: ${from} -> ${to} at ${current.at} (${meaning}). ${rates}\n${steps}` },
  };
}

function rate(value: number | null): string {
  return value === null ? 'unknown' : `${(value * 100).toFixed(value < 0.01 ? 3 : 2)} %`;
}

export interface WatchOutcome {
  readonly snapshot: AccountSnapshot;
  readonly assessment: AccountAssessment;
}

/** One look at the account: read, compare, alert (first), then keep the snapshot. */
export class ReputationWatcher {
  public constructor(
    private readonly deps: { readonly account: AccountReader; readonly snapshots: AccountSnapshots; readonly alerts: AlertNotifier },
  ) {}

  public async watch(now: Date): Promise<WatchOutcome> {
    const [reading, previous] = await Promise.all([this.deps.account.read(), this.deps.snapshots.latest()]);
    const snapshot: AccountSnapshot = { at: now.toISOString(), ...reading };
    const assessment = assessAccount(previous, snapshot);
    // Alert before the snapshot is kept: if the alert fails, the next look sees the change again.
    if (assessment.alert) await this.deps.alerts.notify(assessment.alert.subject, assessment.alert.message);
    await this.deps.snapshots.put(snapshot);
    return { snapshot, assessment };
  }
}
