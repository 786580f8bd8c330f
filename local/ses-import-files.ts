/**
 * The files of the local SES endpoint's import jobs: the rows it reads (CSV or JSON, PUT or
 * DELETE) and the failed-records file it writes, in either layout SES might use.
 */

/** An address the local endpoint accepts in a row: one `@`, a dot in the domain, no space or comma. */
const VALID_ADDRESS = /^[^@\s,]+@[^@\s,]+\.[^@\s,]+$/;

/** A failed-records file: JSON lines `{"record","error"}`, or CSV (RFC 4180) with a header. */
export function failedRecordsFile(rows: ReadonlyArray<{ record: string; error: string }>, layout: 'json-lines' | 'csv'): string {
  if (layout === 'json-lines') return rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
  const cell = (text: string): string => `"${text.replace(/"/g, '""')}"`;
  return ['record,error', ...rows.map((r) => `${cell(r.record)},${cell(r.error)}`)].join('\r\n') + '\r\n';
}

/**
 * One row of an import file, or why it is refused. A PUT row is an address and a reason; a DELETE
 * row is an address alone, as in AWS's bulk-delete examples (`recipient3@example.com`,
 * `{"emailAddress":"recipient3@example.com"}`). AWS does not say what it does with a reason on a
 * DELETE row, so this endpoint refuses one: code that works here never relies on it.
 */
export function parseImportRow(line: string, format: 'CSV' | 'JSON', action: 'PUT' | 'DELETE'): { emailAddress: string; reason?: 'BOUNCE' | 'COMPLAINT' } | string {
  let address: unknown;
  let reason: unknown;
  if (format === 'JSON') {
    try {
      const row = JSON.parse(line) as { emailAddress?: unknown; reason?: unknown };
      address = row.emailAddress;
      reason = row.reason;
    } catch {
      return 'not JSON';
    }
  } else {
    [address, reason] = line.split(',').map((cell) => cell.trim());
  }
  if (typeof address !== 'string' || !VALID_ADDRESS.test(address)) return 'invalid email address';
  if (action === 'DELETE') return reason === undefined ? { emailAddress: address.toLowerCase() } : 'a DELETE row carries the address only';
  if (reason !== 'BOUNCE' && reason !== 'COMPLAINT') return 'reason must be BOUNCE or COMPLAINT';
  return { emailAddress: address.toLowerCase(), reason };
}
