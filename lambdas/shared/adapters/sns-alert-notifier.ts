import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { AlertNotifier } from '../ports.js';

/** {@link AlertNotifier} on the stack's alert topic (where the alarms go too). */
export class SnsAlertNotifier implements AlertNotifier {
  public constructor(
    private readonly sns: SNSClient,
    private readonly topicArn: string,
  ) {}

  public async notify(subject: string, message: string): Promise<void> {
    // SNS subjects: at most 100 printable ASCII characters, no line break.
    const safeSubject = subject.replace(/[^\x20-\x7e]/g, '?').slice(0, 100);
    await this.sns.send(new PublishCommand({ TopicArn: this.topicArn, Subject: safeSubject, Message: message }));
  }
}
