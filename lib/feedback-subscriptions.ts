import { Aws, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { RegionInfo } from 'aws-cdk-lib/region-info';

/** What the owner of a feedback topic in another account grants the pipeline's account. */
export interface FeedbackTopicSubscribePolicyProps {
  /** The topic's ARN (`topic.topicArn` in the topic owner's stack). */
  readonly topicArn: string;
  /** The account the pipeline is deployed into: it owns the feedback queue and subscribes it. */
  readonly pipelineAccount: string;
  /**
   * The pipeline's feedback queue (`SesFeedbackPipeline.queue.queueArn`, known once deployed).
   *
   * @default any SQS queue of `pipelineAccount`
   */
  readonly queueArn?: string;
}

/**
 * The topic-policy statement that lets the pipeline's account subscribe its feedback queue to a
 * topic of another account: `sns:Subscribe` by that account, with SQS endpoints of that account only.
 *
 * Add it to the topic in the topic owner's stack (`topic.addToResourcePolicy(...)`): the pipeline's
 * stack cannot, as an imported topic's policy is not in its template. A subscription its queue's
 * owner creates needs no confirmation. No `aws:SourceArn` or `aws:SourceAccount`: the caller is a
 * role of the pipeline's account (CloudFormation's), not a service acting for a resource, and its
 * request carries neither key.
 */
export function feedbackTopicSubscribePolicy(props: FeedbackTopicSubscribePolicyProps): iam.PolicyStatement {
  const { topicArn, pipelineAccount, queueArn } = props;
  if (!Token.isUnresolved(pipelineAccount) && !/^\d{12}$/.test(pipelineAccount)) {
    throw new Error(`pipelineAccount must be a 12-digit account ID, got '${pipelineAccount}'`);
  }
  return new iam.PolicyStatement({
    sid: 'AllowSesFeedbackPipelineToSubscribe',
    principals: [new iam.AccountPrincipal(pipelineAccount)],
    actions: ['sns:Subscribe'],
    resources: [topicArn],
    conditions: {
      StringEquals: { 'sns:Protocol': 'sqs' },
      StringLike: { 'sns:Endpoint': queueArn ?? `arn:${Aws.PARTITION}:sqs:*:${pipelineAccount}:*` },
    },
  });
}

/**
 * Subscribes the feedback queue to each topic with aws-cdk-lib's SqsSubscription, which does the
 * queue's side wherever the topic is: one queue-policy statement per topic (`sqs:SendMessage` by
 * SNS, `aws:SourceArn` the topic's ARN, so the account and region too), and the subscription made
 * in the topic's region (`Region`, from an imported topic's ARN). When both regions are known and
 * differ with one of them an opt-in region, the statement's principal is the regional one SNS
 * requires (`sns.<queue region>.amazonaws.com` for a queue in an opt-in region, else
 * `sns.<topic region>.amazonaws.com`); when either is unknown at synth, `sns.amazonaws.com`.
 *
 * @throws Error for a topic listed twice, or a topic in an opt-in region while the stack's region is unknown
 */
export function subscribeToFeedbackTopics(queue: sqs.Queue, topics: readonly sns.ITopic[]): void {
  const stack = Stack.of(queue);
  const listed = new Set<string>();
  for (const topic of topics) {
    // A topic of this app is itself; an imported one is its ARN (a token resolves to the same JSON).
    const key = topic instanceof sns.Topic ? topic.node.path : JSON.stringify(stack.resolve(topic.topicArn));
    const shown = topic instanceof sns.Topic || Token.isUnresolved(topic.topicArn) ? topic.node.path : topic.topicArn;
    if (listed.has(key)) throw new Error(`additionalFeedbackTopics: topic ${shown} is listed twice`);
    listed.add(key);
    const topicRegion = topic.env.region;
    if (Token.isUnresolved(stack.region) && !Token.isUnresolved(topicRegion) && RegionInfo.get(topicRegion).isOptInRegion) {
      throw new Error(
        `additionalFeedbackTopics: topic ${topic.topicArn} is in ${topicRegion}, an opt-in region, and the stack has no region (no env): ` +
          "SNS's principal in the queue policy depends on both regions; give the stack an env with its account and region",
      );
    }
    topic.addSubscription(new subscriptions.SqsSubscription(queue));
  }
}
