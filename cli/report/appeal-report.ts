import type { GuardrailEntry } from '../../lambdas/pause-sending/adapters/dynamo-guardrail-log.js';
import { PROBATION_PAUSE } from '../../lambdas/pause-sending/probation.js';
import { SUPPRESSION_EXPIRED_EVENT_TYPE } from '../../lambdas/write-suppressions/adapters/suppression-ledger-items.js';
import { daysBetween } from '../../lambdas/shared/contract.js';
import { feedbackClassOf } from '../../lambdas/process-feedback/feedback-record.js';
import { isGuardrailEntry } from '../audit-trail.js';
import { type AccountSnapshot } from '../../lambdas/watch-reputation/reputation-watcher.js';
import { type IndexedEvent, type TableKey } from '../audit-events.js';
import { type BlockDetail, type ProviderBlocks, ProviderBlockTally } from './provider-blocks.js';

/**
 * The appeal report's content, built from the audit trail without any I/O: the evidence AWS asks
 * for when an account is under review or paused (what happened, what is already fixed, what
 * prevents a recurrence). Rendered by `markdown.ts` and `html.ts`.
 */
export interface AppealReport {
  readonly range: { readonly from: string; readonly until: string };
  readonly generatedAt: string;
  readonly target: { readonly kind: 'deployed' | 'local'; readonly name: string };
  readonly totals: Tally & { readonly events: number };
  /** One entry per UTC day of the range, oldest first, with the day's highest reputation rates. */
  readonly days: ReadonlyArray<DayTally>;
  /** What drove the hard bounces and complaints, ranked: configuration set, campaign, sending domain, recipient domain. */
  readonly drivers: Readonly<Record<DriverDimension, ReadonlyArray<Driver>>>;
  /** Bounces whose DSN status said the recipient's provider refused the sender (never suppressed), by recipient domain. */
  readonly providerBlocks: ProviderBlocks;
  readonly suppressed: {
    readonly total: number;
    readonly byReason: Readonly<Record<string, number>>;
    /** `pipeline` (single calls and the pipeline's import jobs) or `operator-import`. */
    readonly byVia: Readonly<Record<string, number>>;
    readonly first: string | null;
    readonly last: string | null;
    /** Only with showAddresses, at most {@link MAX_LISTED_ADDRESSES}. */
    readonly addresses: ReadonlyArray<{ readonly address: string; readonly reason: string; readonly at: string; readonly via: string }>;
  };
  readonly operatorRemovals: number;
  /** Temporary suppressions (soft bounces escalated) that ended, taking the address off the list: hard bounces and complaints never end. */
  readonly suppressionsEnded: number;
  /** The guardrail's pauses and operators' resumptions in range, oldest first: the streams stopped before AWS acted. */
  readonly guardrail: readonly GuardrailEntry[];
  readonly protection: {
    readonly liveSince: string | null;
    readonly firstEventAt: string | null;
    readonly thresholds: ReportThresholds;
    readonly alarms: ReadonlyArray<ReportAlarm>;
  };
  /** The watcher's snapshots where the enforcement status or sending changed (the first one included). */
  readonly enforcementHistory: ReadonlyArray<AccountSnapshot>;
  readonly snapshots: number;
  readonly showAddresses: boolean;
}

export interface Tally {
  readonly hardBounces: number;
  readonly softBounces: number;
  readonly complaints: number;
}

export interface DayTally extends Tally {
  readonly day: string;
  readonly suppressed: number;
  readonly bounceRate: number | null;
  readonly complaintRate: number | null;
}

export type DriverDimension = 'configurationSet' | 'campaign' | 'sendingDomain' | 'recipientDomain';

export interface Driver {
  readonly value: string;
  readonly hardBounces: number;
  readonly complaints: number;
  /** Of all hard bounces and complaints in the range. */
  readonly share: number;
}

export interface ReportThresholds {
  /** Our alarms (fractions). */
  readonly bounceRate: { readonly warning: number; readonly critical: number };
  readonly complaintRate: { readonly warning: number; readonly critical: number };
  /** Where AWS reviews and pauses (fractions). */
  readonly aws: { readonly bounceRate: { readonly review: number; readonly pause: number }; readonly complaintRate: { readonly review: number; readonly pause: number } };
  readonly softBounce: { readonly threshold: number; readonly windowInDays: number };
}

export interface ReportAlarm {
  readonly name: string;
  readonly metric: string;
  readonly threshold: number | null;
  readonly state: string;
  /** For an alarm over every configuration set: the sets in ALARM. */
  readonly setsInAlarm?: readonly string[];
}

/** An alarm's state as the report writes it: `ALARM (set-a, set-b)` for the sets of a per-set alarm. */
export function alarmStateText(alarm: ReportAlarm): string {
  return alarm.setsInAlarm && alarm.setsInAlarm.length > 0 ? `${alarm.state} (${alarm.setsInAlarm.join(', ')})` : alarm.state;
}

export interface ReportContext {
  readonly from: Date;
  readonly until: Date;
  readonly generatedAt: Date;
  readonly target: AppealReport['target'];
  readonly liveSince: string | null;
  readonly thresholds: ReportThresholds;
  readonly alarms: ReadonlyArray<ReportAlarm>;
  readonly snapshots: ReadonlyArray<AccountSnapshot>;
  /** What the table holds of the provider blocks {@link AppealReportBuilder.providerBlockSamples} named. */
  readonly blockDetails: ReadonlyMap<string, BlockDetail>;
  /** The pauses and resumptions {@link AppealReportBuilder.guardrailKeys} named, as the table holds them. */
  readonly guardrail?: readonly GuardrailEntry[];
  readonly showAddresses: boolean;
}

/** The most addresses the report lists with `--show-addresses`; the counts always cover all. */
export const MAX_LISTED_ADDRESSES = 10_000;
/** Ranked drivers shown per dimension. */
export const TOP_DRIVERS = 10;
/** What a value is called when an event has none (identity notifications carry no configuration set; not every message has a campaign tag). */
export const NONE = '(none)';

const DIMENSIONS: readonly DriverDimension[] = ['configurationSet', 'campaign', 'sendingDomain', 'recipientDomain'];

type MutableTally = { hardBounces: number; softBounces: number; complaints: number; suppressed: number };

/** Accumulates audit-trail entries one by one (the trail can be larger than memory wants as a list). */
export class AppealReportBuilder {
  private readonly days = new Map<string, MutableTally>();
  private readonly drivers = new Map<DriverDimension, Map<string, { hardBounces: number; complaints: number }>>(DIMENSIONS.map((d) => [d, new Map()]));
  private readonly suppressedByReason = new Map<string, number>();
  private readonly suppressedByVia = new Map<string, number>();
  private readonly addresses: Array<AppealReport['suppressed']['addresses'][number]> = [];
  private readonly providerBlocks = new ProviderBlockTally();
  private suppressedTotal = 0;
  private firstSuppression: string | null = null;
  private lastSuppression: string | null = null;
  private firstEvent: string | null = null;
  private events = 0;
  private operatorRemovals = 0;
  private suppressionsEnded = 0;
  private readonly guardrailEntries: TableKey[] = [];

  public constructor(private readonly showAddresses: boolean) {}

  public add(event: IndexedEvent): void {
    const day = this.day(event.eventAt.slice(0, 10));
    if (event.eventType === 'Suppressed') {
      this.suppressedTotal++;
      day.suppressed++;
      increment(this.suppressedByReason, event.reason ?? 'unknown');
      const via = event.via === 'operator-import' ? 'operator-import' : 'pipeline';
      increment(this.suppressedByVia, via);
      if (this.firstSuppression === null || event.eventAt < this.firstSuppression) this.firstSuppression = event.eventAt;
      if (this.lastSuppression === null || event.eventAt > this.lastSuppression) this.lastSuppression = event.eventAt;
      if (this.showAddresses && event.address && this.addresses.length < MAX_LISTED_ADDRESSES) {
        this.addresses.push({ address: event.address, reason: event.reason ?? 'unknown', at: event.eventAt, via });
      }
      return;
    }
    if (event.rule === 'operator-removal') {
      this.operatorRemovals++;
      return;
    }
    if (event.eventType === SUPPRESSION_EXPIRED_EVENT_TYPE) {
      this.suppressionsEnded++;
      return;
    }
    if (isGuardrailEntry(event)) {
      this.guardrailEntries.push(event.tableKey);
      return;
    }
    this.events++;
    if (this.firstEvent === null || event.eventAt < this.firstEvent) this.firstEvent = event.eventAt;
    const feedbackClass = feedbackClassOf(event);
    const hard = feedbackClass === 'hard-bounce';
    const complaint = feedbackClass === 'complaint';
    if (hard) day.hardBounces++;
    if (complaint) day.complaints++;
    if (feedbackClass === 'soft-bounce') day.softBounces++;
    if (feedbackClass === 'provider-block') this.providerBlocks.add(event);
    if (!hard && !complaint) return;
    for (const dimension of DIMENSIONS) {
      const counts = this.drivers.get(dimension) as Map<string, { hardBounces: number; complaints: number }>;
      const value = event[dimension] ?? NONE;
      const entry = counts.get(value) ?? { hardBounces: 0, complaints: 0 };
      if (hard) entry.hardBounces++;
      else entry.complaints++;
      counts.set(value, entry);
    }
  }

  /** The guardrail's entries in range: read them from the table for {@link build}. */
  public guardrailKeys(): TableKey[] {
    return [...this.guardrailEntries];
  }

  /** The provider-block events whose diagnostics the report shows: read them from the table for {@link build}. */
  public providerBlockSamples(): TableKey[] {
    return this.providerBlocks.samples();
  }

  public build(context: ReportContext): AppealReport {
    const ratesByDay = dailyPeakRates(context.snapshots);
    const days = daysBetween(context.from, context.until).map((day): DayTally => {
      const tally = this.days.get(day) ?? { hardBounces: 0, softBounces: 0, complaints: 0, suppressed: 0 };
      const rates = ratesByDay.get(day);
      return { day, ...tally, bounceRate: rates?.bounceRate ?? null, complaintRate: rates?.complaintRate ?? null };
    });
    const totals = days.reduce((t, d) => ({ hardBounces: t.hardBounces + d.hardBounces, softBounces: t.softBounces + d.softBounces, complaints: t.complaints + d.complaints }), {
      hardBounces: 0,
      softBounces: 0,
      complaints: 0,
    });
    const problems = totals.hardBounces + totals.complaints;
    const drivers = Object.fromEntries(
      DIMENSIONS.map((dimension) => [
        dimension,
        [...(this.drivers.get(dimension) ?? new Map<string, { hardBounces: number; complaints: number }>()).entries()]
          .map(([value, c]): Driver => ({ value, ...c, share: problems === 0 ? 0 : (c.hardBounces + c.complaints) / problems }))
          .sort((a, b) => b.hardBounces + b.complaints - (a.hardBounces + a.complaints) || a.value.localeCompare(b.value))
          .slice(0, TOP_DRIVERS),
      ]),
    ) as Record<DriverDimension, Driver[]>;
    return {
      range: { from: context.from.toISOString(), until: context.until.toISOString() },
      generatedAt: context.generatedAt.toISOString(),
      target: context.target,
      totals: { ...totals, events: this.events },
      days,
      drivers,
      providerBlocks: this.providerBlocks.build(context.blockDetails, this.showAddresses),
      suppressed: {
        total: this.suppressedTotal,
        byReason: Object.fromEntries(this.suppressedByReason),
        byVia: Object.fromEntries(this.suppressedByVia),
        first: this.firstSuppression,
        last: this.lastSuppression,
        addresses: [...this.addresses].sort((a, b) => a.at.localeCompare(b.at) || a.address.localeCompare(b.address)),
      },
      operatorRemovals: this.operatorRemovals,
      suppressionsEnded: this.suppressionsEnded,
      guardrail: context.guardrail ?? [],
      protection: { liveSince: context.liveSince, firstEventAt: this.firstEvent, thresholds: context.thresholds, alarms: context.alarms },
      enforcementHistory: enforcementChanges(context.snapshots),
      snapshots: context.snapshots.length,
      showAddresses: this.showAddresses,
    };
  }

  private day(day: string): MutableTally {
    let tally = this.days.get(day);
    if (!tally) {
      tally = { hardBounces: 0, softBounces: 0, complaints: 0, suppressed: 0 };
      this.days.set(day, tally);
    }
    return tally;
  }
}

/** True when the range holds nothing at all to report on. */
export function isEmpty(report: AppealReport): boolean {
  return report.totals.events === 0 && report.suppressed.total === 0 && report.operatorRemovals === 0 && report.suppressionsEnded === 0 && report.snapshots === 0 && report.guardrail.length === 0;
}

function increment(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

function dailyPeakRates(snapshots: ReadonlyArray<AccountSnapshot>): Map<string, { bounceRate: number | null; complaintRate: number | null }> {
  const peaks = new Map<string, { bounceRate: number | null; complaintRate: number | null }>();
  const max = (a: number | null, b: number | null): number | null => (a === null ? b : b === null ? a : Math.max(a, b));
  for (const s of snapshots) {
    const day = s.at.slice(0, 10);
    const peak = peaks.get(day) ?? { bounceRate: null, complaintRate: null };
    peaks.set(day, { bounceRate: max(peak.bounceRate, s.bounceRate), complaintRate: max(peak.complaintRate, s.complaintRate) });
  }
  return peaks;
}

function enforcementChanges(snapshots: ReadonlyArray<AccountSnapshot>): AccountSnapshot[] {
  const changes: AccountSnapshot[] = [];
  for (const s of [...snapshots].sort((a, b) => a.at.localeCompare(b.at))) {
    const last = changes[changes.length - 1];
    if (!last || last.enforcementStatus !== s.enforcementStatus || last.sendingEnabled !== s.sendingEnabled) changes.push(s);
  }
  return changes;
}

/** `0.0812` → `8.12 %`, `0.0008` → `0.080 %`: enough digits for the complaint rate's scale. */
export function percent(fraction: number): string {
  const value = fraction * 100;
  return `${value >= 1 ? value.toFixed(2) : value.toFixed(3)} %`;
}

/** `1620` → `1,620`. */
export function count(n: number): string {
  return n.toLocaleString('en-US');
}

/** An ISO time to the minute, in UTC: `2026-11-20 09:00 UTC`. */
export function minute(iso: string | null): string {
  return iso ? `${iso.slice(0, 16).replace('T', ' ')} UTC` : 'unknown';
}

/**
 * The guardrail's history as table rows, the same in both renderers: when, which set, what
 * happened, and the facts (the alarm and rate of a pause; who resumed it and why).
 */
export function guardrailRows(report: AppealReport): Array<[when: string, configurationSet: string, what: string, details: string]> {
  const rate = (entry: { rate?: number; metric: string; threshold: number }) => `${entry.rate === undefined ? '' : ` at ${percent(entry.rate)}`} ${entry.metric} rate (critical ${percent(entry.threshold)})`;
  return report.guardrail.map((entry) => {
    if (entry.kind === 'pause') {
      return entry.alarmName === PROBATION_PAUSE
        ? [minute(entry.at), entry.configurationSet, 'paused again on probation', `its mail since the resume${rate(entry)}`]
        : [minute(entry.at), entry.configurationSet, 'paused by the guardrail', `alarm ${entry.alarmName}${rate(entry)}`];
    }
    const how = entry.probation ? 'resumed on probation' : 'resumed';
    return [minute(entry.at), entry.configurationSet, entry.forced ? `${how} (forced: work still waited for the list)` : how, `by ${entry.by}: ${entry.note}`];
  });
}
