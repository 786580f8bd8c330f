import { alarmStateText, type AppealReport, count, type DayTally, type DriverDimension, guardrailRows, isEmpty, MAX_LISTED_ADDRESSES, minute as time, percent } from './appeal-report.js';
import { DIMENSION_TITLES } from './markdown.js';

/** The colours of the three kinds of feedback, in every chart. */
const SERIES = [
  { key: 'hardBounces', label: 'Hard bounces', colour: '#c0392b' },
  { key: 'complaints', label: 'Complaints', colour: '#8e44ad' },
  { key: 'softBounces', label: 'Soft bounces', colour: '#e69f00' },
] as const;

const escape = (text: string): string => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * The report as one self-contained HTML file: inline CSS and SVG charts, no script, nothing
 * fetched when it is opened (it may be attached to a support case and opened offline).
 */
export function toHtml(report: AppealReport): string {
  const title = `Amazon SES sending review: evidence from ${report.range.from.slice(0, 10)} to ${report.range.until.slice(0, 10)}`;
  const body: string[] = [];
  body.push(`<h1>${escape(title)}</h1>`);
  body.push(`<p class="meta">Generated ${time(report.generatedAt)} by ses-feedback-pipeline from its audit trail (${escape(report.target.kind === 'local' ? 'local pipeline' : `stack ${report.target.name}`)}).</p>`);
  if (isEmpty(report)) {
    body.push('<p class="empty"><strong>No events in range.</strong> The audit trail holds no bounce, complaint, suppression or account snapshot between these dates.</p>');
  } else {
    body.push('<h2>1. What happened</h2>');
    body.push(`<p>${count(report.totals.hardBounces)} hard bounces, ${count(report.totals.complaints)} complaints and ${count(report.totals.softBounces)} soft bounces (${count(report.totals.events)} events in all).</p>`);
    body.push(`<figure id="timeline">${timelineChart(report.days)}<figcaption>Feedback per day (UTC)</figcaption></figure>`);
    body.push(`<figure id="rates">${rateChart(report)}<figcaption>Peak reputation rates per day, with our alarm lines and AWS's review lines</figcaption></figure>`);
    body.push('<h3>What drove the hard bounces and complaints</h3>');
    for (const [dimension, heading] of Object.entries(DIMENSION_TITLES) as Array<[DriverDimension, string]>) {
      const drivers = report.drivers[dimension];
      if (drivers.length === 0) continue;
      body.push(
        `<table class="drivers" data-dimension="${dimension}"><thead><tr><th>${escape(heading)}</th><th>Hard bounces</th><th>Complaints</th><th>Share</th><th></th></tr></thead><tbody>` +
          drivers
            .map(
              (d) =>
                `<tr><td><code>${escape(d.value)}</code></td><td>${count(d.hardBounces)}</td><td>${count(d.complaints)}</td><td>${percent(d.share)}</td>` +
                `<td><svg width="120" height="10" role="img" aria-label="${percent(d.share)}"><rect width="${(d.share * 120).toFixed(1)}" height="10" fill="#c0392b"/></svg></td></tr>`,
            )
            .join('') +
          '</tbody></table>',
      );
    }
    body.push(...providerBlocks(report));
    const s = report.suppressed;
    body.push('<h2>2. What is already fixed</h2>');
    body.push(
      `<p>${count(s.total)} addresses were put on the account-level suppression list between ${time(s.first)} and ${time(s.last)}: ` +
        `${escape(Object.entries(s.byReason).map(([reason, n]) => `${count(n)} for ${reason}`).join(', ') || 'none')}; ` +
        `${count(s.byVia.pipeline ?? 0)} automatically by the pipeline, ${count(s.byVia['operator-import'] ?? 0)} imported from earlier records.</p>`,
    );
    if (report.suppressionsEnded > 0) body.push(`<p>${count(report.suppressionsEnded)} addresses suppressed after repeated soft bounces (a full mailbox, say) left the list when their temporary suppression ended; hard bounces and complaints stay suppressed for good.</p>`);
    if (report.operatorRemovals > 0) body.push(`<p>${count(report.operatorRemovals)} addresses were taken off the list by an operator (recorded in the audit trail).</p>`);
    if (report.guardrail.length > 0) {
      body.push(
        '<h3>Streams paused before AWS acted</h3><table><thead><tr><th>When</th><th>Configuration set</th><th>What</th><th>Details</th></tr></thead><tbody>' +
          guardrailRows(report).map((row) => `<tr>${row.map((cell) => `<td>${escape(cell)}</td>`).join('')}</tr>`).join('') +
          '</tbody></table>',
      );
    }
    if (report.showAddresses && s.addresses.length > 0) {
      body.push(
        '<table><thead><tr><th>Address</th><th>Reason</th><th>Suppressed</th><th>How</th></tr></thead><tbody>' +
          s.addresses.map((a) => `<tr><td>${escape(a.address)}</td><td>${escape(a.reason)}</td><td>${time(a.at)}</td><td>${escape(a.via)}</td></tr>`).join('') +
          '</tbody></table>',
      );
      if (s.total > s.addresses.length) body.push(`<p><em>${count(s.total - s.addresses.length)} more not listed (at most ${count(MAX_LISTED_ADDRESSES)}).</em></p>`);
    }
  }
  const { thresholds, alarms, liveSince } = report.protection;
  body.push('<h2>3. What prevents a recurrence</h2><ul>');
  body.push(`<li>Every bounce and complaint is processed automatically within seconds${liveSince ? ` (pipeline live since ${time(liveSince)})` : ''}.</li>`);
  body.push(`<li>Hard bounces and spam complaints suppress the address at once; ${thresholds.softBounce.threshold} soft bounces in ${thresholds.softBounce.windowInDays} days without a delivery do too.</li>`);
  body.push(
    `<li>Alarms at bounce rate ${percent(thresholds.bounceRate.warning)} / ${percent(thresholds.bounceRate.critical)} (AWS reviews at ${percent(thresholds.aws.bounceRate.review)}) ` +
      `and complaint rate ${percent(thresholds.complaintRate.warning)} / ${percent(thresholds.complaintRate.critical)} (AWS reviews at ${percent(thresholds.aws.complaintRate.review)}).</li>`,
  );
  body.push('<li>A watcher reads the enforcement status every 15 minutes and alerts on any change.</li></ul>');
  if (alarms.length > 0) {
    body.push(
      '<table><thead><tr><th>Alarm</th><th>Metric</th><th>Threshold</th><th>State</th></tr></thead><tbody>' +
        alarms.map((a) => `<tr><td>${escape(a.name)}</td><td>${escape(a.metric)}</td><td>${a.threshold ?? '–'}</td><td>${escape(alarmStateText(a))}</td></tr>`).join('') +
        '</tbody></table>',
    );
  }
  body.push('<h3>Enforcement status history</h3>');
  body.push(
    report.enforcementHistory.length === 0
      ? '<p><em>No watcher snapshots in range.</em></p>'
      : '<table><thead><tr><th>Since</th><th>Enforcement status</th><th>Sending</th></tr></thead><tbody>' +
          report.enforcementHistory.map((s) => `<tr><td>${time(s.at)}</td><td>${escape(s.enforcementStatus)}</td><td>${s.sendingEnabled ? 'enabled' : 'disabled'}</td></tr>`).join('') +
          '</tbody></table>',
  );
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>${escape(title)}</title>
<style>
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;max-width:960px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:1em 0}th,td{padding:.25em .75em;border-bottom:1px solid #ddd;text-align:left}
td:nth-child(n+2){text-align:right}td.diagnostic{text-align:left}figure{margin:1.5em 0}figcaption{color:#555;font-size:.9em}.meta{color:#555}
.empty{padding:1em;background:#f4f4f4}svg text{font:11px system-ui,sans-serif;fill:#333}
</style></head>
<body>
${body.join('\n')}
</body></html>
`;
}

function providerBlocks(report: AppealReport): string[] {
  const { total, domains } = report.providerBlocks;
  const heading = '<h3>Blocked by mailbox providers</h3>';
  if (total === 0) return [heading, '<p>No mailbox provider refused the sender in this range (no bounce with a 5.7.x DSN status).</p>'];
  return [
    heading,
    `<p>${count(total)} bounces were the recipient's mailbox provider refusing the sender (DSN status 5.7.x: spam filtering, block lists, rate limits, SPF/DKIM/DMARC). ` +
      'Those readers were not suppressed and do not count as hard bounces: their addresses work; the sender was refused.</p>',
    '<table class="provider-blocks"><thead><tr><th>Recipient domain</th><th>Blocks</th><th>First seen</th><th>Last seen</th><th>Most common diagnostic</th></tr></thead><tbody>' +
      domains
        .map(
          (d) =>
            `<tr><td><code>${escape(d.domain)}</code></td><td>${count(d.blocks)}</td><td>${time(d.first)}</td><td>${time(d.last)}</td>` +
            `<td class="diagnostic">${d.diagnostic ? `${escape(d.diagnostic.dsnCode ?? '?')}: <code>${escape(d.diagnostic.text)}</code> (${d.diagnostic.matching} of ${d.diagnostic.sampled} sampled)` : '–'}</td></tr>`,
        )
        .join('') +
      '</tbody></table>',
  ];
}

const WIDTH = 900;
const HEIGHT = 260;
const MARGIN = { left: 56, right: 16, top: 16, bottom: 44 };

/** Stacked bars per day: hard bounces, complaints, soft bounces. */
function timelineChart(days: ReadonlyArray<DayTally>): string {
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
  const max = Math.max(1, ...days.map((d) => d.hardBounces + d.complaints + d.softBounces));
  const band = plotWidth / Math.max(1, days.length);
  const barWidth = Math.max(1, band * 0.7);
  const y = (value: number): number => MARGIN.top + plotHeight - (value / max) * plotHeight;
  const parts: string[] = [axes(max, (v) => count(Math.round(v)), y)];
  days.forEach((d, i) => {
    const x = MARGIN.left + i * band + (band - barWidth) / 2;
    let base = 0;
    for (const series of SERIES) {
      const value = d[series.key];
      if (value > 0) {
        parts.push(`<rect class="bar" data-day="${d.day}" data-series="${series.key}" x="${x.toFixed(1)}" y="${y(base + value).toFixed(1)}" width="${barWidth.toFixed(1)}" height="${(y(base) - y(base + value)).toFixed(1)}" fill="${series.colour}"><title>${d.day}: ${count(value)} ${series.label.toLowerCase()}</title></rect>`);
      }
      base += value;
    }
    if (days.length <= 31 || i % Math.ceil(days.length / 31) === 0) {
      parts.push(`<text x="${(x + barWidth / 2).toFixed(1)}" y="${HEIGHT - MARGIN.bottom + 14}" text-anchor="middle">${d.day.slice(5)}</text>`);
    }
  });
  parts.push(legend(SERIES.map((s) => ({ label: s.label, colour: s.colour }))));
  return svg('Feedback per day', parts);
}

/** Peak bounce and complaint rates per day (two panels), with our alarm lines and AWS's review line. */
function rateChart(report: AppealReport): string {
  if (report.snapshots === 0) {
    return '<p class="no-data empty">No reputation snapshots in range: the deployed watcher stores one every 15 minutes.</p>';
  }
  const { thresholds } = report.protection;
  const panels = [
    { label: 'Bounce rate', values: report.days.map((d) => d.bounceRate), lines: [thresholds.bounceRate.warning, thresholds.bounceRate.critical], aws: thresholds.aws.bounceRate.review, colour: '#c0392b' },
    { label: 'Complaint rate', values: report.days.map((d) => d.complaintRate), lines: [thresholds.complaintRate.warning, thresholds.complaintRate.critical], aws: thresholds.aws.complaintRate.review, colour: '#8e44ad' },
  ];
  return panels
    .map((panel) => {
      const max = Math.max(panel.aws * 1.2, ...panel.values.map((v) => v ?? 0));
      const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
      const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
      const y = (value: number): number => MARGIN.top + plotHeight - (value / max) * plotHeight;
      const x = (i: number): number => MARGIN.left + (report.days.length === 1 ? plotWidth / 2 : (i / (report.days.length - 1)) * plotWidth);
      const parts = [axes(max, (v) => percent(v), y)];
      for (const [i, line] of [...panel.lines, panel.aws].entries()) {
        const aws = i === panel.lines.length;
        parts.push(`<line class="threshold" x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${y(line).toFixed(1)}" y2="${y(line).toFixed(1)}" stroke="${aws ? '#000' : '#999'}" stroke-dasharray="${aws ? '6 3' : '2 3'}"/>`);
        parts.push(`<text x="${WIDTH - MARGIN.right}" y="${(y(line) - 3).toFixed(1)}" text-anchor="end">${aws ? 'AWS review ' : 'alarm '}${percent(line)}</text>`);
      }
      const points = panel.values.map((v, i) => (v === null ? null : `${x(i).toFixed(1)},${y(v).toFixed(1)}`)).filter((p): p is string => p !== null);
      parts.push(`<polyline class="rate" fill="none" stroke="${panel.colour}" stroke-width="2" points="${points.join(' ')}"/>`);
      for (const p of points) parts.push(`<circle cx="${p.split(',')[0]}" cy="${p.split(',')[1]}" r="3" fill="${panel.colour}"/>`);
      parts.push(`<text x="${MARGIN.left + 4}" y="${MARGIN.top + 10}">${panel.label}</text>`);
      return svg(panel.label, parts);
    })
    .join('\n');
}

function axes(max: number, label: (value: number) => string, y: (value: number) => number): string {
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => f * max);
  return (
    `<line x1="${MARGIN.left}" x2="${MARGIN.left}" y1="${MARGIN.top}" y2="${HEIGHT - MARGIN.bottom}" stroke="#333"/>` +
    `<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${HEIGHT - MARGIN.bottom}" y2="${HEIGHT - MARGIN.bottom}" stroke="#333"/>` +
    ticks.map((t) => `<text x="${MARGIN.left - 6}" y="${(y(t) + 4).toFixed(1)}" text-anchor="end">${label(t)}</text>`).join('')
  );
}

function legend(items: ReadonlyArray<{ label: string; colour: string }>): string {
  return items
    .map((item, i) => `<rect x="${MARGIN.left + i * 130}" y="${HEIGHT - 16}" width="10" height="10" fill="${item.colour}"/><text x="${MARGIN.left + i * 130 + 14}" y="${HEIGHT - 7}">${item.label}</text>`)
    .join('');
}

function svg(label: string, parts: readonly string[]): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${HEIGHT}" width="${WIDTH}" height="${HEIGHT}" role="img" aria-label="${escape(label)}">${parts.join('')}</svg>`;
}
