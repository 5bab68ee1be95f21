import type { CreateTopicInput, PublishInput } from '@aws-sdk/client-sns';
import type { SandboxClock } from './clock';
import { fail } from './errors';

export interface PublishedMessage {
  topicArn: string;
  subject?: string;
  message: string;
  at: Date;
  messageId: string;
}

type Op = (input: never) => unknown;

/** An in-memory SNS: topics and every message published (the "mailbox" the demo prints). */
export class SnsModel {
  readonly topics = new Set<string>();
  readonly messages: PublishedMessage[] = [];

  constructor(
    private readonly clock: SandboxClock,
    private readonly accountId: string,
    private readonly region: string,
  ) {}

  readonly operations: Record<string, Op> = {
    CreateTopic: (i: CreateTopicInput) => ({ TopicArn: this.addTopic(i.Name ?? '') }),
    Publish: (i: PublishInput) => this.publish(i),
  };

  addTopic(name: string): string {
    const arn = `arn:aws:sns:${this.region}:${this.accountId}:${name}`;
    this.topics.add(arn);
    return arn;
  }

  private publish(input: PublishInput) {
    if (!input.TopicArn || !this.topics.has(input.TopicArn)) throw fail('sns', 'NotFoundException', 'Topic does not exist', 404);
    if (!input.Message) throw fail('sns', 'InvalidParameterException', 'Invalid parameter: Empty message');
    if (input.Subject !== undefined && (input.Subject.length > 100 || !/^[\x20-\x7e]+$/.test(input.Subject))) {
      throw fail('sns', 'InvalidParameterException', 'Invalid parameter: Subject');
    }
    if (Buffer.byteLength(input.Message, 'utf8') > 262_144) {
      throw fail('sns', 'InvalidParameterException', 'Invalid parameter: Message too long');
    }
    const messageId = `msg-${this.messages.length + 1}`;
    this.messages.push({ topicArn: input.TopicArn, subject: input.Subject, message: input.Message, at: this.clock.now(), messageId });
    return { MessageId: messageId };
  }
}
