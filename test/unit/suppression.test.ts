import {
  addressProblem,
  addressesIn,
  followDelaySeconds,
  fromImportFile,
  MalformedMessageError,
  mergeEntries,
  readSuppressionMessage,
  suppressionChanges,
  toImportFile,
} from '../../lambdas/domain/index.js';

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

  it.each([
    [undefined, 'BOUNCE', true],
    [undefined, 'COMPLAINT', true],
    ['BOUNCE', 'BOUNCE', false],
    ['BOUNCE', 'COMPLAINT', true],
    ['COMPLAINT', 'BOUNCE', false],
    ['COMPLAINT', 'COMPLAINT', false],
  ] as const)('calls SES when the list holds %s and %s is asked: %s', (current, requested, expected) => {
    expect(suppressionChanges(current, requested)).toBe(expected);
  });

  it('reads both message types and rejects anything else with a one-line reason and no address', () => {
    expect(readSuppressionMessage('{"type":"suppress","entries":[{"address":"a@example.com","reason":"BOUNCE"}],"attempt":1}')).toEqual({
      type: 'suppress',
      entries: [{ address: 'a@example.com', reason: 'BOUNCE' }],
      attempt: 1,
    });
    expect(readSuppressionMessage('{"type":"follow-import","job":{"jobId":"j","objectKey":"k","rows":3},"attempt":1,"polls":2}').type).toBe('follow-import');
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
    expect(fromImportFile(file)).toEqual(entries);
  });

  it('finds the addresses in a failed-records file whatever its layout (CSV or JSON)', () => {
    expect([...addressesIn('A@Example.com,BOUNCE,INVALID\n{"emailAddress":"b@example.com","error":"x"}\n')]).toEqual(['a@example.com', 'b@example.com']);
    expect(addressesIn('').size).toBe(0);
  });

  it('waits twice as long before each look at an import job, at most 900 s', () => {
    expect([0, 1, 2, 3, 6, 7, 10].map((polls) => followDelaySeconds(polls, 10, 900))).toEqual([10, 20, 40, 80, 640, 900, 900]);
  });
});

describe('addressProblem (operator input)', () => {
  it.each([
    ['jane.doe+tag@example.co.uk', undefined],
    ["o'brien@example.com", undefined],
    ['', 'empty'],
    ['jane', 'not an email address'],
    ['jane@localhost', 'not an email address'],
    ['jane doe@example.com', 'not an email address'],
    ['jane@@example.com', 'not an email address'],
    ['.jane@example.com', 'misplaced dot in the local part'],
    ['ja..ne@example.com', 'misplaced dot in the local part'],
    [`${'a'.repeat(65)}@example.com`, 'local part longer than 64 characters'],
    [`a@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(63)}.${'e'.repeat(60)}.com`, 'longer than 254 characters'],
  ])('%s → %s', (address, problem) => {
    expect(addressProblem(address)).toBe(problem);
  });
});
