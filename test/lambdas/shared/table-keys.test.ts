import fc from 'fast-check';
import { addressKey, addressOfKey, dayShardKey, eventSortKey, FEEDBACK_TABLE, IMPORT_FILES } from '../../../lambdas/shared/contract.js';

describe('the feedback table keys and the import bucket prefixes', () => {
  it('are the ones deployed tables hold: another spelling would orphan every item written before', () => {
    expect(addressKey('jane@example.com')).toBe('ADDR#jane@example.com');
    expect(eventSortKey('2026-11-20T10:00:00.000Z#Bounce#m1')).toBe('EVENT#2026-11-20T10:00:00.000Z#Bounce#m1');
    expect(dayShardKey('2026-11-20', 3)).toBe('DAY#2026-11-20#3');
    expect(FEEDBACK_TABLE.sortKeys).toEqual({ state: 'STATE', suppression: 'SUPPRESSION', refused: 'REFUSED' });
    expect(FEEDBACK_TABLE.writerLease).toEqual({ partitionKey: 'WRITER', sortKey: 'LEASE' });
  });

  it('give back the address of any address key, a # in the address included', () => {
    expect(addressOfKey(addressKey('a#b@example.com'))).toBe('a#b@example.com');
    fc.assert(fc.property(fc.string(), (address) => addressOfKey(addressKey(address)) === address));
  });

  it("put the writer's import files under the prefix SES may read", () => {
    expect(IMPORT_FILES.prefix).toBe('imports/');
    expect(IMPORT_FILES.pipelinePrefix.startsWith(IMPORT_FILES.prefix)).toBe(true);
  });
});
