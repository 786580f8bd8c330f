import { alarmStateText, type AppealReport, count, type DriverDimension, guardrailRows, isEmpty, MAX_LISTED_ADDRESSES, minute as time, NONE, percent } from './appeal-report.js';

export const DIMENSION_TITLES: Readonly<Record<DriverDimension, string>> = {
  configurationSet: 'Configuration set',
  campaign: 'Campaign (message tag)',
  sendingDomain: 'Sending domain',
  recipientDomain: 'Recipient domain',
};

/** A value from the mail (campaign tag, domain) as inline code in a table cell: no pipe or backtick can break out. */
const code = (value: string): string => `\`${value.replace(/[`|\\\n\r]/g, '?')}\``;
/**
 * Any other value interpolated into the Markdown (an address, an alarm or stack name): each character
 * Markdown gives a meaning is backslash-escaped and line breaks become spaces, so a value can never
 * end a table cell, start a row or a heading, or format itself.
 */
const text = (value: string): string => value.replace(/[\\`*_{}[\]<>()#+\-!|~]/g, '\\$&').replace(/[\r\n]+/g, ' ');
const day = (iso: string | null): string => (iso ? iso.slice(0, 10) : 'unknown');

/** The report as Markdown, ready to paste into the AWS support case. */
export function toMarkdown(report: AppealReport): string {
  const lines: string[] = [];
  const push = (...more: string[]): void => void lines.push(...more);
  push(`# Amazon SES sending review: evidence from ${day(report.range.from)} to ${day(report.range.until)}`, '');
  push(`Generated ${time(report.generatedAt)} by ses-feedback-pipeline from its audit trail (${report.target.kind === 'local' ? 'local pipeline' : `stack ${text(report.target.name)}`}).`, '');
  if (isEmpty(report)) {
    push('**No events in range.** The audit trail holds no bounce, complaint, suppression or account snapshot between these dates.', '');
    push(...protection(report));
    return `${lines.join('\n')}\n`;
  }

  push('## 1. What happened', '');
  const { totals } = report;
  push(
    `${count(totals.hardBounces)} hard bounces, ${count(totals.complaints)} complaints and ${count(totals.softBounces)} soft bounces were recorded ` +
      `(${count(totals.events)} events in all).`,
    '',
  );
  const byCampaign = report.drivers.campaign[0] !== undefined && report.drivers.campaign[0].value !== NONE;
  const top = byCampaign ? report.drivers.campaign[0] : report.drivers.configurationSet[0];
  const topDomain = report.drivers.recipientDomain[0];
  if (top && topDomain && totals.hardBounces + totals.complaints > 0) {
    const peak = [...report.days].sort((a, b) => b.hardBounces + b.complaints - (a.hardBounces + a.complaints))[0];
    push(
      `**Main cause:** ${byCampaign ? 'campaign' : 'configuration set'} ${code(top.value)} produced ${percent(top.share)} of the hard bounces and complaints; ` +
        `recipient domain ${code(topDomain.value)} alone ${percent(topDomain.share)}.` +
        (peak ? ` The worst day was ${peak.day} (${count(peak.hardBounces)} hard bounces, ${count(peak.complaints)} complaints).` : ''),
      '',
    );
  }
  push('### Per day', '');
  push('| Day | Hard bounces | Complaints | Soft bounces | Suppressed | Bounce rate (peak) | Complaint rate (peak) |', '|---|---:|---:|---:|---:|---:|---:|');
  for (const d of report.days) {
    push(
      `| ${d.day} | ${count(d.hardBounces)} | ${count(d.complaints)} | ${count(d.softBounces)} | ${count(d.suppressed)} | ${d.bounceRate === null ? '–' : percent(d.bounceRate)} | ${d.complaintRate === null ? '–' : percent(d.complaintRate)} |`,
    );
  }
  push('');
  if (report.snapshots === 0) push('_Reputation rates: no watcher snapshots in range (the deployed watcher stores one every 15 minutes)._', '');
  push('### What drove the hard bounces and complaints', '');
  for (const [dimension, title] of Object.entries(DIMENSION_TITLES) as Array<[DriverDimension, string]>) {
    const drivers = report.drivers[dimension];
    if (drivers.length === 0) continue;
    push(`| ${title} | Hard bounces | Complaints | Share |`, '|---|---:|---:|---:|');
    for (const d of drivers) push(`| ${code(d.value)} | ${count(d.hardBounces)} | ${count(d.complaints)} | ${percent(d.share)} |`);
    push('');
  }
  push(...providerBlocks(report));

  push('## 2. What is already fixed', '');
  const s = report.suppressed;
  push(
    `${count(s.total)} addresses were put on the account-level suppression list between ${time(s.first)} and ${time(s.last)}, ` +
      `so SES will not send to them again: ` +
      `${Object.entries(s.byReason).map(([reason, n]) => `${count(n)} for ${reason}`).join(', ') || 'none'}; ` +
      `${count(s.byVia.pipeline ?? 0)} automatically by the pipeline as the feedback arrived, ${count(s.byVia['operator-import'] ?? 0)} imported from earlier bounce and complaint records.`,
    '',
  );
  if (report.suppressionsEnded > 0) push(`${count(report.suppressionsEnded)} addresses suppressed after repeated soft bounces (a full mailbox, say) left the list when their temporary suppression ended; hard bounces and complaints stay suppressed for good.`, '');
  if (report.operatorRemovals > 0) push(`${count(report.operatorRemovals)} addresses were taken off the list by an operator after the recipient proved the mailbox works (recorded in the audit trail).`, '');
  if (report.guardrail.length > 0) {
    push('### Streams paused before AWS acted', '');
    push('The guardrail pauses a configuration set the moment its critical reputation alarm fires; an operator resumes it once the cause is fixed.', '');
    push('| When | Configuration set | What | Details |', '|---|---|---|---|');
    for (const [when, set, what, details] of guardrailRows(report)) push(`| ${when} | ${code(set)} | ${what} | ${text(details)} |`);
    push('');
  }
  if (report.showAddresses) {
    push('| Address | Reason | Suppressed | How |', '|---|---|---|---|');
    for (const a of s.addresses) push(`| ${text(a.address)} | ${a.reason} | ${time(a.at)} | ${text(a.via)} |`);
    if (s.total > s.addresses.length) push('', `_${count(s.total - s.addresses.length)} more not listed (at most ${count(MAX_LISTED_ADDRESSES)})._`);
    push('');
  }

  push(...protection(report));
  return `${lines.join('\n')}\n`;
}

function providerBlocks(report: AppealReport): string[] {
  const { total, domains } = report.providerBlocks;
  const lines = ['### Blocked by mailbox providers', ''];
  if (total === 0) return [...lines, 'No mailbox provider refused the sender in this range (no bounce with a 5.7.x DSN status).', ''];
  lines.push(
    `${count(total)} bounces were the recipient's mailbox provider refusing the sender (DSN status 5.7.x: spam filtering, block lists, rate limits, ` +
      'SPF/DKIM/DMARC). Those readers were not suppressed and do not count as hard bounces: their addresses work; the sender was refused.',
    '',
    '| Recipient domain | Blocks | First seen | Last seen | Most common diagnostic |',
    '|---|---:|---|---|---|',
  );
  for (const d of domains) {
    const diagnostic = d.diagnostic ? `${d.diagnostic.dsnCode ?? '?'}: ${code(d.diagnostic.text)} (${d.diagnostic.matching} of ${d.diagnostic.sampled} sampled)` : '–';
    lines.push(`| ${code(d.domain)} | ${count(d.blocks)} | ${time(d.first)} | ${time(d.last)} | ${diagnostic} |`);
  }
  lines.push('');
  return lines;
}

function protection(report: AppealReport): string[] {
  const { thresholds, alarms, liveSince, firstEventAt } = report.protection;
  const lines = ['## 3. What prevents a recurrence', ''];
  lines.push(
    `- Every bounce and complaint is processed automatically within seconds${liveSince ? ` (pipeline live since ${time(liveSince)})` : ''}${firstEventAt ? `; first event in this report ${time(firstEventAt)}` : ''}.`,
    '- Hard bounces and spam complaints put the address on the account-level suppression list at once; ' +
      `an address that soft-bounces ${thresholds.softBounce.threshold} times in ${thresholds.softBounce.windowInDays} days without a delivery is suppressed too.`,
    `- Alarms notify the team well below AWS's lines: bounce rate at ${percent(thresholds.bounceRate.warning)} and ${percent(thresholds.bounceRate.critical)} ` +
      `(AWS reviews at ${percent(thresholds.aws.bounceRate.review)}), complaint rate at ${percent(thresholds.complaintRate.warning)} and ${percent(thresholds.complaintRate.critical)} ` +
      `(AWS reviews at ${percent(thresholds.aws.complaintRate.review)}).`,
    '- A watcher reads the account\'s enforcement status every 15 minutes and alerts on any change.',
    '',
  );
  if (alarms.length > 0) {
    lines.push('| Alarm | Metric | Threshold | State |', '|---|---|---:|---|');
    for (const a of alarms) lines.push(`| ${text(a.name)} | ${text(a.metric)} | ${a.threshold ?? '–'} | ${text(alarmStateText(a))} |`);
    lines.push('');
  }
  lines.push('### Enforcement status history', '');
  if (report.enforcementHistory.length === 0) lines.push('_No watcher snapshots in range._', '');
  else {
    lines.push('| Since | Enforcement status | Sending |', '|---|---|---|');
    for (const s of report.enforcementHistory) lines.push(`| ${time(s.at)} | ${text(s.enforcementStatus)} | ${s.sendingEnabled ? 'enabled' : 'disabled'} |`);
    lines.push('');
  }
  return lines;
}
