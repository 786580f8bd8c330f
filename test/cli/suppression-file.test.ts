import { exportCsv, parseSuppressionFile } from '../../cli/suppression-commands.js';

describe('suppression import: reading the operator\'s file', () => {
  it('reads RFC 4180 CSV: quoted cells, a header, and the \' its own export puts before a formula-leading cell', () => {
    const file = ['email,reason', '"jane@example.com",BOUNCE', "'=cmd@example.com,COMPLAINT", '"#tag@example.com",BOUNCE', "'-2+3@example.com"].join('\r\n');
    expect(parseSuppressionFile(file, 'BOUNCE')).toEqual({
      entries: [
        { address: 'jane@example.com', reason: 'BOUNCE' },
        { address: '=cmd@example.com', reason: 'COMPLAINT' },
        { address: '#tag@example.com', reason: 'BOUNCE' },
        { address: '-2+3@example.com', reason: 'BOUNCE' },
      ],
      problems: [],
    });
  });

  it('reads back an exported address that itself starts with \' (a shrunk counterexample of the property suite)', () => {
    const file = exportCsv([{ address: "'+.a@a.aa", reason: 'BOUNCE' }, { address: "'a@a.aa", reason: 'BOUNCE' }], true);
    expect(file).toBe("email,reason,last_update_time,temporary_until\n''+.a@a.aa,BOUNCE,,\n''a@a.aa,BOUNCE,,\n");
    expect(parseSuppressionFile(file, undefined).entries.map((e) => e.address)).toEqual(["'+.a@a.aa", "'a@a.aa"]);
  });

  it('reports a bad reason cell masked and cut short: no address and no megabyte on stderr', () => {
    const file = ['jane@example.com,bob.smith@example.org', `joe@example.com,${'x'.repeat(1024 * 1024)}`, '"unclosed@example.com,BOUNCE'].join('\n');
    expect(parseSuppressionFile(file, undefined).problems).toEqual([
      { line: 1, problem: "reason must be BOUNCE or COMPLAINT, got 'B***@EXAMPLE.ORG'" },
      { line: 2, problem: `reason must be BOUNCE or COMPLAINT, got '${'X'.repeat(40)}... (1048576 characters)'` },
      { line: 3, problem: 'not a CSV row (a quote is not closed)' },
    ]);
  });
});
