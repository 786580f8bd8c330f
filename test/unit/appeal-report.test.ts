import type { AccountSnapshot, IndexedEvent } from '../../cli/audit-trail.js';
import { AppealReportBuilder, isEmpty, type ReportContext } from '../../cli/report/appeal-report.js';
import { toHtml } from '../../cli/report/html.js';
import { toMarkdown } from '../../cli/report/markdown.js';
import { alarmedThresholds } from '../../cli/report-command.js';

const FROM = new Date('2026-11-01T00:00:00.000Z');
const UNTIL = new Date('2026-11-03T23:59:59.999Z');

function context(snapshots: AccountSnapshot[] = [], showAddresses = false): ReportContext {
  return {
    from: FROM,
    until: UNTIL,
    generatedAt: new Date('2026-11-04T08:00:00.000Z'),
    target: { kind: 'deployed', name: 'SesFeedbackPipeline' },
    liveSince: '2026-10-01T12:00:00.000Z',
    thresholds: {
      bounceRate: { warning: 0.03, critical: 0.05 },
      complaintRate: { warning: 0.0008, critical: 0.001 },
      aws: { bounceRate: { review: 0.05, pause: 0.1 }, complaintRate: { review: 0.001, pause: 0.005 } },
      softBounce: { threshold: 5, windowInDays: 30 },
    },
    alarms: [{ name: 'BounceRateCritical', metric: 'Reputation.BounceRate', threshold: 0.05, state: 'ALARM' }],
    snapshots,
    showAddresses,
  };
}

let n = 0;
function event(rule: string, extra: Partial<IndexedEvent> = {}): IndexedEvent {
  n++;
  const eventType = rule.includes('complaint') ? 'Complaint' : 'Bounce';
  return { address: `user${n}@example.org`, eventAt: '2026-11-02T10:00:00.000Z', eventType, action: 'record', rule, configurationSet: 'marketing', recipientDomain: 'example.org', ...extra };
}

function build(events: IndexedEvent[], snapshots: AccountSnapshot[] = [], showAddresses = false) {
  const builder = new AppealReportBuilder(showAddresses);
  events.forEach((e) => builder.add(e));
  return builder.build(context(snapshots, showAddresses));
}

describe('AppealReportBuilder', () => {
  it('ranks what drove hard bounces and complaints, with each value\'s share, and calls a missing campaign (none)', () => {
    const report = build([
      ...Array.from({ length: 6 }, () => event('permanent-bounce', { campaign: 'spring-sale', recipientDomain: 'oldmail.example.net' })),
      event('permanent-status-on-soft-bounce', { campaign: 'spring-sale' }),
      event('complaint', { campaign: 'spring-sale' }),
      event('permanent-bounce', { configurationSet: 'transactional' }),
      event('complaint', { configurationSet: 'transactional' }),
    ]);
    expect(report.drivers.campaign).toEqual([
      { value: 'spring-sale', hardBounces: 7, complaints: 1, share: 0.8 },
      { value: '(none)', hardBounces: 1, complaints: 1, share: 0.2 },
    ]);
    expect(report.drivers.recipientDomain[0]).toEqual({ value: 'oldmail.example.net', hardBounces: 6, complaints: 0, share: 0.6 });
    expect(report.drivers.configurationSet.map((d) => d.value)).toEqual(['marketing', 'transactional']);
  });

  it('counts as hard bounces and complaints only what counts against the account: not bounces off the suppression list, not "not-spam"', () => {
    const report = build([
      event('permanent-bounce'),
      event('already-on-account-suppression-list'),
      event('message-level-bounce'),
      event('soft-bounce'),
      event('complaint'),
      event('complaint-not-spam'),
    ]);
    expect(report.totals).toEqual({ events: 6, hardBounces: 1, softBounces: 1, complaints: 1 });
    expect(report.days.map((d) => [d.day, d.hardBounces, d.softBounces, d.complaints])).toEqual([
      ['2026-11-01', 0, 0, 0],
      ['2026-11-02', 1, 1, 1],
      ['2026-11-03', 0, 0, 0],
    ]);
  });

  it('tells suppressions by the pipeline from imported ones, and lists addresses only when asked', () => {
    const suppressed = (via: string, reason = 'BOUNCE'): IndexedEvent => event('', { eventType: 'Suppressed', action: 'suppress', rule: undefined as unknown as string, reason, via, eventAt: '2026-11-03T01:00:00.000Z' });
    const events = [suppressed('put'), suppressed('import'), suppressed('put', 'COMPLAINT'), suppressed('operator-import')];
    const hidden = build(events);
    expect(hidden.suppressed).toMatchObject({ total: 4, byReason: { BOUNCE: 3, COMPLAINT: 1 }, byVia: { pipeline: 3, 'operator-import': 1 }, addresses: [] });
    expect(hidden.days[2]?.suppressed).toBe(4);
    expect(hidden.totals.events).toBe(0); // ledger entries are not feedback events
    expect(build(events, [], true).suppressed.addresses).toHaveLength(4);
  });

  it('keeps the days\' peak reputation rates and only the snapshots where the enforcement status or sending changed', () => {
    const snap = (at: string, enforcementStatus: string, bounceRate: number, sendingEnabled = true): AccountSnapshot => ({ at, enforcementStatus, sendingEnabled, productionAccess: true, bounceRate, complaintRate: 0.0002 });
    const report = build([], [
      snap('2026-11-01T00:00:00.000Z', 'HEALTHY', 0.01),
      snap('2026-11-01T12:00:00.000Z', 'HEALTHY', 0.04),
      snap('2026-11-02T00:00:00.000Z', 'PROBATION', 0.06),
      snap('2026-11-02T06:00:00.000Z', 'PROBATION', 0.07),
      snap('2026-11-03T00:00:00.000Z', 'SHUTDOWN', 0.05, false),
    ]);
    expect(report.days.map((d) => d.bounceRate)).toEqual([0.04, 0.07, 0.05]);
    expect(report.enforcementHistory.map((s) => `${s.at.slice(0, 10)} ${s.enforcementStatus} ${s.sendingEnabled}`)).toEqual([
      '2026-11-01 HEALTHY true',
      '2026-11-02 PROBATION true',
      '2026-11-03 SHUTDOWN false',
    ]);
    expect(isEmpty(report)).toBe(false);
    const html = toHtml(report);
    expect(html.match(/<polyline class="rate"/g)).toHaveLength(2);
    expect(toMarkdown(report)).toContain('| 2026-11-02 00:00 UTC | PROBATION | enabled |');
  });

  it('reports an empty range as such, in both formats', () => {
    const report = build([]);
    expect(isEmpty(report)).toBe(true);
    expect(toMarkdown(report)).toContain('**No events in range.**');
    expect(toHtml(report)).toContain('<strong>No events in range.</strong>');
  });

  it('keeps values from the mail from breaking out of the Markdown table or the HTML', () => {
    const report = build([event('permanent-bounce', { campaign: 'a|b`c<script>' })]);
    expect(toMarkdown(report)).toContain('| `a?b?c<script>` | 1 | 0 | 100.00 % |');
    expect(toHtml(report)).toContain('<code>a|b`c&#60;script&#62;</code>');
    expect(toHtml(report)).not.toContain('<script>');
  });

  it('escapes every other value it interpolates into the Markdown: an address, an alarm name or a stack name cannot forge a row', () => {
    const forged = 'a|b@example.com\n| forged | row |';
    const builder = new AppealReportBuilder(true);
    builder.add(event('permanent-bounce'));
    builder.add(event('suppressed', { eventType: 'Suppressed', address: forged, reason: 'BOUNCE', via: 'put' }));
    const base = context([], true);
    const report = builder.build({ ...base, target: { kind: 'deployed', name: 'Stack|x' }, alarms: [{ name: 'Alarm|forged\n|', metric: 'M', threshold: 1, state: 'OK' }] });
    const markdown = toMarkdown(report);
    const rows = markdown.split('\n').filter((line) => line.startsWith('|'));
    expect(rows.some((line) => line.includes('forged | row'))).toBe(false);
    expect(markdown).toContain('| a\\|b@example.com \\| forged \\| row \\| | BOUNCE |');
    expect(markdown).toContain('| Alarm\\|forged \\| | M | 1 | OK |');
    expect(markdown).toContain('stack Stack\\|x');
  });
});

describe('alarmedThresholds', () => {
  it('takes the report\'s thresholds from the stack\'s account-wide alarms, not the per-set ones', () => {
    const alarms = [
      { name: 'a', metric: 'Reputation.BounceRate', threshold: 0.02, state: 'OK' },
      { name: 'b', metric: 'Reputation.BounceRate', threshold: 0.04, state: 'OK' },
      { name: 'c', metric: 'Reputation.BounceRate (marketing)', threshold: 0.01, state: 'OK' },
      { name: 'd', metric: 'Reputation.ComplaintRate', threshold: 0.0005, state: 'ALARM' },
    ];
    expect(alarmedThresholds(alarms, 'Reputation.BounceRate')).toEqual({ warning: 0.02, critical: 0.04 });
    expect(alarmedThresholds(alarms, 'Reputation.ComplaintRate')).toEqual({ warning: 0.0005, critical: 0.0005 });
    expect(alarmedThresholds([], 'Reputation.BounceRate')).toBeUndefined();
  });
});
