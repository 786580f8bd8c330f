/* The audit trail's entries as the time index carries them: read by the audit trail and by the report's blocks. */

/** The table key of an audit-trail entry (the index carries it), to read the rest of the entry. */
export interface TableKey {
  readonly pk: string;
  readonly sk: string;
}

/** One entry of the audit trail as the time index carries it (the projected attributes). */
export interface IndexedEvent {
  readonly tableKey: TableKey;
  readonly address: string;
  readonly eventAt: string;
  readonly eventType: string;
  readonly action: string;
  readonly rule: string;
  readonly reason?: string;
  readonly configurationSet?: string;
  readonly campaign?: string;
  readonly sendingDomain?: string;
  readonly recipientDomain?: string;
  /** Suppression-ledger entries: how SES got the address (`put`, `import`, `operator-import`). */
  readonly via?: string;
}
