/**
 * Input the pipeline cannot read as SES feedback.
 *
 * Retrying never helps, so the handler parks the record in the dead-letter queue with this
 * message as the reason. The message never contains an email address.
 */
export class MalformedMessageError extends Error {
  public constructor(message: string) {
    super(message);
    this.name = 'MalformedMessageError';
  }
}

/**
 * SES refused to suppress the address (bad request, sandbox account). Retrying does not help.
 */
export class SuppressionRejectedError extends Error {
  public constructor(message: string) {
    super(message);
    this.name = 'SuppressionRejectedError';
  }
}

/**
 * The audit trail refused one record for good (DynamoDB's ValidationException: a key or item over
 * its size limit, an empty map key). Retrying never helps: the recipient is parked with this reason.
 */
export class RecordRefusedError extends Error {
  public constructor(message: string) {
    super(message);
    this.name = 'RecordRefusedError';
  }
}
