import { createHash } from 'node:crypto';
import { redactAddresses } from '../../lambdas/shared/address.js';
import type { IndexedEvent, TableKey } from '../audit-events.js';

/** Provider-block events per domain whose diagnostic the report reads from the table. */
export const BLOCK_SAMPLE_PER_DOMAIN = 20;
/** Domains listed in the section, most blocks first. */
export const TOP_BLOCKED_DOMAINS = 10;
/** A diagnostic is cut to this length in the report (providers append long help texts). */
const DIAGNOSTIC_CHARS = 200;

/** What the table holds of a provider block besides what the time index carries. */
export interface BlockDetail {
  readonly diagnosticCode?: string;
  readonly dsnCode?: string;
}

/** One recipient domain whose provider refused the sender. */
export interface BlockedDomain {
  readonly domain: string;
  readonly blocks: number;
  readonly first: string;
  readonly last: string;
  /** The most common diagnostic in the domain's sample, addresses masked unless they are shown; null if none was read. */
  readonly diagnostic: { readonly dsnCode: string | null; readonly text: string; readonly matching: number; readonly sampled: number } | null;
}

export interface ProviderBlocks {
  readonly total: number;
  readonly domains: ReadonlyArray<BlockedDomain>;
}

interface DomainTally {
  blocks: number;
  first: string;
  last: string;
  /** The events of the domain with the smallest ranks: a uniform sample, the same whatever order the events come in. */
  sample: Array<{ rank: number; key: TableKey }>;
}

/**
 * Provider blocks by recipient domain, from the time index, with a bounded sample of each domain's
 * events whose diagnostic codes (kept in the table only) say what the provider answered.
 */
export class ProviderBlockTally {
  private readonly domains = new Map<string, DomainTally>();
  private total = 0;

  public add(event: IndexedEvent): void {
    this.total++;
    const domain = event.recipientDomain ?? '(none)';
    const tally = this.domains.get(domain) ?? { blocks: 0, first: event.eventAt, last: event.eventAt, sample: [] };
    tally.blocks++;
    if (event.eventAt < tally.first) tally.first = event.eventAt;
    if (event.eventAt > tally.last) tally.last = event.eventAt;
    keepSmallest(tally.sample, { rank: rankOf(event.tableKey), key: event.tableKey });
    this.domains.set(domain, tally);
  }

  /** The events whose details {@link build} needs: the samples of the domains it lists. */
  public samples(): TableKey[] {
    return this.top().flatMap(([, tally]) => tally.sample.map((s) => s.key));
  }

  /**
   * @param details what the table holds of the sampled events, by {@link keyId}
   * @param showAddresses print diagnostics as they are; otherwise every address in them is masked
   */
  public build(details: ReadonlyMap<string, BlockDetail>, showAddresses: boolean): ProviderBlocks {
    return {
      total: this.total,
      domains: this.top().map(([domain, tally]) => ({
        domain,
        blocks: tally.blocks,
        first: tally.first,
        last: tally.last,
        diagnostic: mostCommon(tally.sample.flatMap((s) => details.get(keyId(s.key)) ?? []), showAddresses),
      })),
    };
  }

  private top(): Array<[string, DomainTally]> {
    return [...this.domains].sort(([a, x], [b, y]) => y.blocks - x.blocks || a.localeCompare(b)).slice(0, TOP_BLOCKED_DOMAINS);
  }
}

/** One string per table key, to look details up by. */
export function keyId(key: TableKey): string {
  return `${key.pk}\n${key.sk}`;
}

function rankOf(key: TableKey): number {
  return createHash('sha1').update(keyId(key)).digest().readUInt32BE(0);
}

function keepSmallest(sample: Array<{ rank: number; key: TableKey }>, entry: { rank: number; key: TableKey }): void {
  if (sample.length < BLOCK_SAMPLE_PER_DOMAIN) {
    sample.push(entry);
    return;
  }
  const largest = sample.reduce((max, s, i) => (s.rank > (sample[max]?.rank ?? -1) ? i : max), 0);
  if (entry.rank < (sample[largest]?.rank ?? -1)) sample[largest] = entry;
}

/**
 * The diagnostic most of the sample shares, telling apart what differs only in numbers (IP
 * addresses, queue IDs, timestamps) or addresses; shown as the first such text, masked.
 */
function mostCommon(details: readonly BlockDetail[], showAddresses: boolean): BlockedDomain['diagnostic'] {
  const groups = new Map<string, { dsnCode: string | null; text: string; matching: number }>();
  for (const detail of details) {
    if (detail.diagnosticCode === undefined && detail.dsnCode === undefined) continue;
    const masked = redactAddresses(detail.diagnosticCode ?? '');
    const shape = `${detail.dsnCode ?? ''}|${masked.replace(/\S*\d\S*/g, '#')}`;
    const group = groups.get(shape) ?? { dsnCode: detail.dsnCode ?? null, text: showAddresses ? (detail.diagnosticCode ?? '') : masked, matching: 0 };
    group.matching++;
    groups.set(shape, group);
  }
  const [best] = [...groups.values()].sort((a, b) => b.matching - a.matching || a.text.localeCompare(b.text));
  if (!best) return null;
  const text = best.text.length > DIAGNOSTIC_CHARS ? `${best.text.slice(0, DIAGNOSTIC_CHARS - 1)}…` : best.text;
  return { dsnCode: best.dsnCode, text, matching: best.matching, sampled: details.length };
}
