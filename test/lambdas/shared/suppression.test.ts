import { followDelaySeconds, fromImportFile, readTemporaryRows, temporaryRowsFile, importLines, matchFailedRecords, toImportFile } from '../../../lambdas/write-suppressions/import-files.js';
import { MalformedMessageError } from '../../../lambdas/shared/errors.js';
import { mergeEntries, readSuppressionMessage } from '../../../lambdas/shared/suppression.js';
import { suppressionChange } from '../../../lambdas/write-suppressions/suppression-writer.js';

describe('suppression requests', () => {
  it('merges entries per normalised address, COMPLAINT winning over BOUNCE in either order', () => {
    expect(
      mergeEntries([
        { address: 'A@Example.com', reason: 'BOUNCE' },
        { address: 'a@example.com', reason: 'COMPLAINT' },
        { address: 'b@example.com', reason: 'COMPLAINT' },
        { address: 'B@example.com', reason: 'BOUNCE' },
        { address: 'c@example.com', reason: 'BOUNCE' },
      ]),
    ).toEqual([
      { address: 'a@example.com', reason: 'COMPLAINT' },
      { address: 'b@example.com', reason: 'COMPLAINT' },
      { address: 'c@example.com', reason: 'BOUNCE' },
    ]);
  });

  it('merges a temporary request (soft bounces escalated) into a permanent one: a hard bounce or complaint wins', () => {
    expect(
      mergeEntries([
        { address: 'a@example.com', reason: 'BOUNCE', temporary: true },
        { address: 'A@example.com', reason: 'BOUNCE' },
        { address: 'b@example.com', reason: 'BOUNCE', temporary: true },
        { address: 'b@example.com', reason: 'BOUNCE', temporary: true },
        { address: 'c@example.com', reason: 'BOUNCE', temporary: true },
        { address: 'c@example.com', reason: 'COMPLAINT' },
      ]),
    ).toEqual([
      { address: 'a@example.com', reason: 'BOUNCE' },
      { address: 'b@example.com', reason: 'BOUNCE', temporary: true },
      { address: 'c@example.com', reason: 'COMPLAINT' },
    ]);
  });

  const temporary = { reason: 'BOUNCE', temporaryUntil: '2026-12-28T09:00:00.000Z' } as const;
  it.each([
    [undefined, 'BOUNCE', false, 'call'],
    [undefined, 'BOUNCE', true, 'call'],
    [undefined, 'COMPLAINT', false, 'call'],
    [{ reason: 'BOUNCE' }, 'BOUNCE', false, 'nothing'],
    [{ reason: 'BOUNCE' }, 'BOUNCE', true, 'nothing'],
    [{ reason: 'BOUNCE' }, 'COMPLAINT', false, 'call'],
    [{ reason: 'COMPLAINT' }, 'BOUNCE', false, 'nothing'],
    [{ reason: 'COMPLAINT' }, 'BOUNCE', true, 'nothing'],
    [{ reason: 'COMPLAINT' }, 'COMPLAINT', false, 'nothing'],
    [temporary, 'BOUNCE', true, 'nothing'],
    [temporary, 'BOUNCE', false, 'make-permanent'],
    // The one upgrade SES must hear of: the complaint's call records it permanent.
    [temporary, 'COMPLAINT', false, 'call'],
    // A removal began and its run died: SES may have taken it off.
    [{ ...temporary, removing: true }, 'BOUNCE', true, 'call'],
    [{ reason: 'COMPLAINT', temporaryUntil: temporary.temporaryUntil, removing: true }, 'BOUNCE', false, 'call'],
  ] as const)('the ledger holds %j; %s (temporary: %s) is asked: %s', (current, reason, isTemporary, expected) => {
    expect(suppressionChange(current, isTemporary ? { address: 'a@example.com', reason, temporary: true } : { address: 'a@example.com', reason })).toBe(expected);
  });

  it('reads every message type and rejects anything else with a one-line reason and no address', () => {
    expect(readSuppressionMessage('{"type":"suppress","entries":[{"address":"a@example.com","reason":"BOUNCE"}],"attempt":1}')).toEqual({
      type: 'suppress',
      entries: [{ address: 'a@example.com', reason: 'BOUNCE' }],
      attempt: 1,
    });
    expect(readSuppressionMessage('{"type":"follow-import","job":{"jobId":"j","objectKey":"k","rows":3},"attempt":1,"polls":2}').type).toBe('follow-import');
    expect(readSuppressionMessage('{"type":"unsuppress","addresses":["a@example.com"],"attempt":2}')).toEqual({ type: 'unsuppress', addresses: ['a@example.com'], attempt: 2 });
    // The hourly tick, exactly as the EventBridge rule puts it.
    expect(readSuppressionMessage('{"type":"expire"}')).toEqual({ type: 'expire' });
    expect(readSuppressionMessage('{"type":"restore","addresses":["a@example.com"]}')).toEqual({ type: 'restore', addresses: ['a@example.com'] });
    expect(readSuppressionMessage('{"type":"remove","address":"a@example.com","request":"r-1","note":"ticket 1"}')).toEqual({ type: 'remove', address: 'a@example.com', request: 'r-1', note: 'ticket 1' });
    expect(readSuppressionMessage('{"type":"suppress","entries":[],"attempt":1,"request":"r-1"}')).toEqual({ type: 'suppress', entries: [], attempt: 1, request: 'r-1' });
    expect(() => readSuppressionMessage('{"type":"follow-import","job":{"jobId":"j","objectKey":"k","rows":3,"action":"REPLACE"},"attempt":1,"polls":0}')).toThrow(/job\.action/);
    expect(() => readSuppressionMessage('nope')).toThrow(new MalformedMessageError('suppression message is not JSON'));
    expect(() => readSuppressionMessage('{"type":"suppress","entries":[{"address":"a@example.com"}],"attempt":1}')).toThrow(
      /^suppression message is not valid: entries\.0\.reason: /,
    );
    expect(() => readSuppressionMessage('{"type":"other"}')).toThrow(MalformedMessageError);
  });

  it('writes SES JSON-lines import files and reads them back', () => {
    const entries = [
      { address: 'a@example.com', reason: 'BOUNCE' },
      { address: 'b@example.com', reason: 'COMPLAINT' },
    ] as const;
    const file = toImportFile(entries);
    expect(file).toBe('{"emailAddress":"a@example.com","reason":"BOUNCE"}\n{"emailAddress":"b@example.com","reason":"COMPLAINT"}\n');
    expect(fromImportFile(file)).toEqual(entries.map((entry, i) => ({ entry, line: importLines(entries)[i] })));
  });

  it('keeps which PUT rows are temporary beside the file (SES\'s format has no field for it), and reads them back', () => {
    const entries = [
      { address: 'a@example.com', reason: 'BOUNCE' },
      { address: 'b@example.com', reason: 'BOUNCE', temporary: true },
      { address: 'c@example.com', reason: 'COMPLAINT' },
      { address: 'd@example.com', reason: 'BOUNCE', temporary: true },
    ] as const;
    const file = toImportFile(entries);
    expect(file).not.toContain('temporary');
    const sidecar = temporaryRowsFile(entries) ?? '';
    expect(sidecar).toBe('[1,3]');
    expect(fromImportFile(file, readTemporaryRows(sidecar)).map((r) => r.entry)).toEqual(entries);
    expect(temporaryRowsFile(entries.filter((e) => !('temporary' in e)))).toBeUndefined();
    expect(() => readTemporaryRows('{"rows":1}')).toThrow('the temporary-rows file is not a list of row numbers');
  });

  it('waits twice as long before each look at an import job, at most 900 s', () => {
    expect([0, 1, 2, 3, 6, 7, 10].map((polls) => followDelaySeconds(polls, 10, 900))).toEqual([10, 20, 40, 80, 640, 900, 900]);
  });
});

describe('matchFailedRecords: which submitted rows SES refused', () => {
  // Rows no address regex reads right: non-ASCII domain in Punycode, atext symbols, a one-label-looking local part.
  const entries = [
    { address: 'good@example.com', reason: 'BOUNCE' },
    { address: 'a!#$&*/=?^{|}~b@example.com', reason: 'BOUNCE' },
    { address: 'jane@xn--mller-kva.example', reason: 'COMPLAINT' },
    { address: 'x@example.org', reason: 'BOUNCE' },
  ] as const;
  const lines = importLines(entries);

  it.each([
    ['JSON lines quoting the raw row', `${JSON.stringify({ record: lines[1], error: 'INVALID' })}\n${JSON.stringify({ record: lines[2], error: 'INVALID' })}\n`],
    ['CSV (RFC 4180) with a header', `record,error\r\n"${lines[1]?.replace(/"/g, '""')}",INVALID\r\n"${lines[2]?.replace(/"/g, '""')}",INVALID\r\n`],
    ['the raw rows themselves', `${lines[1]}\n${lines[2]}\n`],
    ['JSON lines nesting the row deeper', `${JSON.stringify({ failure: { rows: [lines[1]] } })}\n${JSON.stringify({ failure: { rows: [lines[2]] } })}\n`],
  ])('names exactly the refused rows in %s', (_layout, file) => {
    expect(matchFailedRecords(lines, file, 2)).toEqual({ failed: new Set([1, 2]) });
  });

  it('treats a file that names fewer of our rows than SES counted as unknown (nothing taken as suppressed)', () => {
    const addressesOnly = 'a!#$&*/=?^{|}~b@example.com\njane@xn--mller-kva.example\n';
    expect(matchFailedRecords(lines, addressesOnly, 2)).toEqual({
      unknown: 'SES counted 2 failed rows, and its failed-records file names 0 of the rows submitted',
    });
    expect(matchFailedRecords(lines, `${JSON.stringify({ record: lines[1] })}\n`, 2)).toEqual({
      unknown: 'SES counted 2 failed rows, and its failed-records file names 1 of the rows submitted',
    });
  });

  it('treats a file that is neither JSON lines nor CSV as unknown', () => {
    expect(matchFailedRecords(lines, '"unterminated,quote\n', 1)).toEqual({ unknown: 'the failed-records file is neither JSON lines nor CSV (1 rows failed)' });
  });

  it('needs no file when SES counted no failed row', () => {
    expect(matchFailedRecords(lines, '', 0)).toEqual({ failed: new Set() });
  });
});
