import { createHash } from "node:crypto";
import { type Handler, jsonService, ServiceError, type StandinContext } from "./http.ts";

/**
 * SQS over its JSON protocol (`X-Amz-Target: AmazonSQS.<Action>`), what the SDK v3 speaks:
 * CreateQueue, GetQueueUrl, GetQueueAttributes, SendMessage(Batch), ReceiveMessage (long polling),
 * DeleteMessage(Batch), ChangeMessageVisibility, PurgeQueue.
 *
 * Semantics kept: visibility timeouts (on the stand-in clock, so a test can advance time), receive counts and
 * the redrive policy (a message received more than maxReceiveCount times moves to the dead-letter queue), and
 * FIFO queues: a message group id is required, deduplication ids (explicit or content-based) hold for five
 * minutes, messages of one group are delivered in order and never while another message of the group is in
 * flight. MD5s of bodies and attributes are computed the way the SDK checks them.
 */

export interface QueueOptions {
  readonly fifo?: boolean;
  readonly contentBasedDeduplication?: boolean;
  readonly visibilityTimeoutSeconds?: number;
  readonly deadLetter?: { readonly queueName: string; readonly maxReceiveCount: number };
}

export interface StoredMessage {
  readonly messageId: string;
  readonly body: string;
  readonly attributes: Readonly<Record<string, MessageAttribute>>;
  readonly groupId: string | undefined;
  readonly deduplicationId: string | undefined;
  readonly sequenceNumber: string | undefined;
  readonly sentAt: number;
  readonly senderId: string;
  receiveCount: number;
  firstReceivedAt: number | undefined;
  /** Invisible until this time (stand-in clock); 0 = visible. */
  invisibleUntil: number;
  receiptHandle: string | undefined;
}

interface MessageAttribute {
  readonly DataType: string;
  readonly StringValue?: string;
  readonly BinaryValue?: string;
}

interface Queue {
  readonly name: string;
  readonly url: string;
  readonly arn: string;
  readonly options: QueueOptions;
  readonly messages: StoredMessage[];
  readonly dedup: Map<string, { at: number; messageId: string; sequenceNumber: string | undefined }>;
  /** Messages that moved out (deleted), for inspection. */
  deleted: number;
  /** Sends answered with success, duplicates included (a test can then tell "sent" from "kept once"). */
  sendsAnswered: number;
  /** Sends a FIFO queue answered with an earlier message's id (same deduplication id within five minutes). */
  duplicates: number;
  waiters: (() => void)[];
}

const DEDUP_WINDOW_MS = 5 * 60_000;

export class SqsStandin {
  private readonly queues = new Map<string, Queue>();
  private counter = 0;
  url = "";

  readonly handler: Handler;

  constructor(
    private readonly context: StandinContext,
    readonly account: string,
    readonly region: string,
  ) {
    this.handler = this.makeHandler();
  }

  createQueue(name: string, options: QueueOptions = {}): { url: string; arn: string } {
    const fifo = options.fifo ?? name.endsWith(".fifo");
    if (fifo !== name.endsWith(".fifo")) throw new Error(`a FIFO queue's name ends in .fifo: ${name}`);
    const queue: Queue = {
      name,
      url: `${this.url}/${this.account}/${name}`,
      arn: `arn:aws:sqs:${this.region}:${this.account}:${name}`,
      options: { ...options, fifo },
      messages: [],
      dedup: new Map(),
      deleted: 0,
      sendsAnswered: 0,
      duplicates: 0,
      waiters: [],
    };
    this.queues.set(name, queue);
    return { url: queue.url, arn: queue.arn };
  }

  queueUrl(name: string): string {
    return this.queue(name).url;
  }

  /** Every message still in a queue (visible or in flight), oldest first. */
  messages(name: string): readonly StoredMessage[] {
    return this.queue(name).messages;
  }

  /** Messages deleted (processed) from a queue so far. */
  deletedCount(name: string): number {
    return this.queue(name).deleted;
  }

  /** Sends a queue answered with success so far, the FIFO duplicates among them included. */
  sendsAnsweredCount(name: string): number {
    return this.queue(name).sendsAnswered;
  }

  /** Sends a FIFO queue kept once because an earlier one had their deduplication id (within five minutes). */
  duplicatesCount(name: string): number {
    return this.queue(name).duplicates;
  }

  /** Waits until a queue has a message visible now or the time passes. */
  async waitForMessages(name: string, timeoutMs: number): Promise<void> {
    const queue = this.queue(name);
    if (this.visible(queue).length > 0) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, timeoutMs);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      queue.waiters.push(done);
    });
  }

  /** Receives as a consumer would (the event source mapping of the Lambda emulation uses this). */
  receive(name: string, max: number, visibilityTimeoutSeconds?: number): StoredMessage[] {
    return this.receiveFrom(this.queue(name), max, visibilityTimeoutSeconds);
  }

  /** Deletes by receipt handle; false when the handle is stale (the message was received again meanwhile). */
  deleteByHandle(name: string, receiptHandle: string): boolean {
    const queue = this.queue(name);
    const index = queue.messages.findIndex((m) => m.receiptHandle === receiptHandle);
    if (index === -1) return false;
    queue.messages.splice(index, 1);
    queue.deleted++;
    return true;
  }

  /** Makes an in-flight message visible again at once (a failed batch whose visibility timeout the test skips). */
  release(name: string, receiptHandle: string): void {
    const message = this.queue(name).messages.find((m) => m.receiptHandle === receiptHandle);
    if (message !== undefined) message.invisibleUntil = 0;
    this.wake(this.queue(name));
  }

  /** Sends as a producer would, bypassing HTTP (tests that prepare a queue). */
  send(name: string, body: string, options: { groupId?: string; deduplicationId?: string } = {}): string {
    return this.sendTo(this.queue(name), body, {}, options.groupId, options.deduplicationId, "standin")
      .messageId;
  }

  private makeHandler(): Handler {
    return jsonService({
      service: "sqs",
      context: this.context,
      targetPrefix: "AmazonSQS",
      contentType: "application/x-amz-json-1.0",
      resourceOf: (action, input) =>
        action === "CreateQueue" || action === "GetQueueUrl"
          ? String(input.QueueName ?? "")
          : this.nameOfUrl(String(input.QueueUrl ?? "")),
      errorHeaders: (code, status) => ({
        "x-amzn-query-error": `${queryErrorCode(code)};${status >= 500 ? "Receiver" : "Sender"}`,
      }),
      handle: async (action, input, meta) => this.handle(action, input, meta.accessKeyId),
    });
  }

  private async handle(
    action: string,
    input: Record<string, unknown>,
    accessKeyId: string,
  ): Promise<unknown> {
    switch (action) {
      case "CreateQueue": {
        const name = String(input.QueueName);
        const attributes = (input.Attributes ?? {}) as Record<string, string>;
        if (!this.queues.has(name)) {
          this.createQueue(name, {
            fifo: attributes.FifoQueue === "true",
            contentBasedDeduplication: attributes.ContentBasedDeduplication === "true",
            ...(attributes.VisibilityTimeout === undefined
              ? {}
              : { visibilityTimeoutSeconds: Number(attributes.VisibilityTimeout) }),
          });
        }
        return { QueueUrl: this.queue(name).url };
      }
      case "GetQueueUrl":
        return { QueueUrl: this.queueOrError(String(input.QueueName)).url };
      case "GetQueueAttributes": {
        const queue = this.byUrl(input.QueueUrl);
        const now = this.context.clock.now();
        return {
          Attributes: {
            QueueArn: queue.arn,
            ApproximateNumberOfMessages: String(queue.messages.filter((m) => m.invisibleUntil <= now).length),
            ApproximateNumberOfMessagesNotVisible: String(
              queue.messages.filter((m) => m.invisibleUntil > now).length,
            ),
            VisibilityTimeout: String(queue.options.visibilityTimeoutSeconds ?? 30),
            FifoQueue: String(queue.options.fifo === true),
          },
        };
      }
      case "SendMessage": {
        const queue = this.byUrl(input.QueueUrl);
        const sent = this.sendTo(
          queue,
          String(input.MessageBody ?? ""),
          (input.MessageAttributes ?? {}) as Record<string, MessageAttribute>,
          input.MessageGroupId as string | undefined,
          input.MessageDeduplicationId as string | undefined,
          accessKeyId,
        );
        return sent.output;
      }
      case "SendMessageBatch": {
        const queue = this.byUrl(input.QueueUrl);
        const entries = (input.Entries ?? []) as Record<string, unknown>[];
        if (entries.length > 10)
          throw new ServiceError("TooManyEntriesInBatchRequest", 400, "at most 10 entries");
        const Successful: unknown[] = [];
        const Failed: unknown[] = [];
        for (const entry of entries) {
          try {
            const sent = this.sendTo(
              queue,
              String(entry.MessageBody ?? ""),
              (entry.MessageAttributes ?? {}) as Record<string, MessageAttribute>,
              entry.MessageGroupId as string | undefined,
              entry.MessageDeduplicationId as string | undefined,
              accessKeyId,
            );
            Successful.push({ Id: entry.Id, ...sent.output });
          } catch (error) {
            if (!(error instanceof ServiceError)) throw error;
            Failed.push({ Id: entry.Id, Code: error.code, Message: error.message, SenderFault: true });
          }
        }
        return { Successful, Failed };
      }
      case "ReceiveMessage": {
        const queue = this.byUrl(input.QueueUrl);
        const max = Number(input.MaxNumberOfMessages ?? 1);
        if (!(max >= 1 && max <= 10))
          throw new ServiceError("InvalidParameterValue", 400, "MaxNumberOfMessages is 1 to 10");
        const wait = Math.min(Number(input.WaitTimeSeconds ?? 0), 20);
        let received = this.receiveFrom(queue, max, input.VisibilityTimeout as number | undefined);
        if (received.length === 0 && wait > 0) {
          await this.waitForMessages(queue.name, wait * 1000);
          received = this.receiveFrom(queue, max, input.VisibilityTimeout as number | undefined);
        }
        return { Messages: received.map((m) => this.wireMessage(m)) };
      }
      case "DeleteMessage": {
        const queue = this.byUrl(input.QueueUrl);
        this.deleteHandle(queue, String(input.ReceiptHandle));
        return {};
      }
      case "DeleteMessageBatch": {
        const queue = this.byUrl(input.QueueUrl);
        const entries = (input.Entries ?? []) as { Id: string; ReceiptHandle: string }[];
        const Successful: unknown[] = [];
        const Failed: unknown[] = [];
        for (const entry of entries) {
          try {
            this.deleteHandle(queue, entry.ReceiptHandle);
            Successful.push({ Id: entry.Id });
          } catch (error) {
            if (!(error instanceof ServiceError)) throw error;
            Failed.push({ Id: entry.Id, Code: error.code, Message: error.message, SenderFault: true });
          }
        }
        return { Successful, Failed };
      }
      case "ChangeMessageVisibility": {
        const queue = this.byUrl(input.QueueUrl);
        const message = queue.messages.find((m) => m.receiptHandle === input.ReceiptHandle);
        if (message === undefined)
          throw new ServiceError("ReceiptHandleIsInvalid", 400, "The receipt handle is not valid");
        message.invisibleUntil = this.context.clock.now() + Number(input.VisibilityTimeout ?? 0) * 1000;
        if (Number(input.VisibilityTimeout ?? 0) === 0) this.wake(queue);
        return {};
      }
      case "PurgeQueue": {
        const queue = this.byUrl(input.QueueUrl);
        queue.deleted += queue.messages.length;
        queue.messages.length = 0;
        return {};
      }
      default:
        throw new ServiceError("UnsupportedOperation", 400, `${action} is not implemented by the stand-in`);
    }
  }

  private sendTo(
    queue: Queue,
    body: string,
    attributes: Readonly<Record<string, MessageAttribute>>,
    groupId: string | undefined,
    deduplicationId: string | undefined,
    senderId: string,
  ): { messageId: string; output: Record<string, string> } {
    if (body.length === 0)
      throw new ServiceError("InvalidParameterValue", 400, "The message body must not be empty");
    if (Buffer.byteLength(body) > 256 * 1024)
      throw new ServiceError("InvalidParameterValue", 400, "The message is larger than 256 KiB");
    const now = this.context.clock.now();
    const md5 = md5Hex(Buffer.from(body, "utf8"));
    const attributesMd5 = Object.keys(attributes).length === 0 ? undefined : attributesDigest(attributes);
    if (queue.options.fifo === true) {
      if (groupId === undefined)
        throw new ServiceError(
          "MissingParameter",
          400,
          "The request must contain the parameter MessageGroupId.",
        );
      const dedupId =
        deduplicationId ?? (queue.options.contentBasedDeduplication === true ? sha256Hex(body) : undefined);
      if (dedupId === undefined) {
        throw new ServiceError(
          "InvalidParameterValue",
          400,
          "The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly",
        );
      }
      for (const [id, entry] of queue.dedup) if (now - entry.at > DEDUP_WINDOW_MS) queue.dedup.delete(id);
      const duplicate = queue.dedup.get(dedupId);
      queue.sendsAnswered++;
      if (duplicate !== undefined) {
        queue.duplicates++;
        return {
          messageId: duplicate.messageId,
          output: {
            MessageId: duplicate.messageId,
            MD5OfMessageBody: md5,
            ...(attributesMd5 === undefined ? {} : { MD5OfMessageAttributes: attributesMd5 }),
            ...(duplicate.sequenceNumber === undefined ? {} : { SequenceNumber: duplicate.sequenceNumber }),
          },
        };
      }
      const message = this.store(queue, body, attributes, groupId, dedupId, now, senderId);
      queue.dedup.set(dedupId, {
        at: now,
        messageId: message.messageId,
        sequenceNumber: message.sequenceNumber,
      });
      return {
        messageId: message.messageId,
        output: {
          MessageId: message.messageId,
          MD5OfMessageBody: md5,
          ...(attributesMd5 === undefined ? {} : { MD5OfMessageAttributes: attributesMd5 }),
          SequenceNumber: message.sequenceNumber as string,
        },
      };
    }
    const message = this.store(queue, body, attributes, groupId, undefined, now, senderId);
    queue.sendsAnswered++;
    return {
      messageId: message.messageId,
      output: {
        MessageId: message.messageId,
        MD5OfMessageBody: md5,
        ...(attributesMd5 === undefined ? {} : { MD5OfMessageAttributes: attributesMd5 }),
      },
    };
  }

  private store(
    queue: Queue,
    body: string,
    attributes: Readonly<Record<string, MessageAttribute>>,
    groupId: string | undefined,
    deduplicationId: string | undefined,
    now: number,
    senderId: string,
  ): StoredMessage {
    const n = ++this.counter;
    const message: StoredMessage = {
      messageId: uuidOf(`message:${n}`),
      body,
      attributes,
      groupId,
      deduplicationId,
      sequenceNumber: queue.options.fifo === true ? String(n).padStart(20, "1") : undefined,
      sentAt: now,
      senderId: senderId || "standin",
      receiveCount: 0,
      firstReceivedAt: undefined,
      invisibleUntil: 0,
      receiptHandle: undefined,
    };
    queue.messages.push(message);
    this.wake(queue);
    return message;
  }

  private wake(queue: Queue): void {
    const waiters = queue.waiters.splice(0);
    for (const waiter of waiters) waiter();
  }

  private visible(queue: Queue): StoredMessage[] {
    const now = this.context.clock.now();
    return queue.messages.filter((m) => m.invisibleUntil <= now);
  }

  private receiveFrom(
    queue: Queue,
    max: number,
    visibilityTimeoutSeconds: number | undefined,
  ): StoredMessage[] {
    const now = this.context.clock.now();
    const timeout = (visibilityTimeoutSeconds ?? queue.options.visibilityTimeoutSeconds ?? 30) * 1000;
    const out: StoredMessage[] = [];
    const lockedGroups = new Set<string>();
    if (queue.options.fifo === true) {
      for (const m of queue.messages)
        if (m.invisibleUntil > now && m.groupId !== undefined) lockedGroups.add(m.groupId);
    }
    // FIFO: take the head of the first unlocked group and as many of its next messages as fit, then the next group.
    const candidates =
      queue.options.fifo === true
        ? orderedByGroup(
            queue.messages.filter((m) => m.groupId !== undefined && !lockedGroups.has(m.groupId)),
          )
        : queue.messages.filter((m) => m.invisibleUntil <= now);
    for (const message of candidates) {
      if (out.length >= max) break;
      const dlq = queue.options.deadLetter;
      if (dlq !== undefined && message.receiveCount >= dlq.maxReceiveCount) {
        // SQS moves a message whose receive count exceeds maxReceiveCount instead of delivering it again.
        this.moveToDeadLetter(queue, message, dlq.queueName);
        continue;
      }
      message.receiveCount++;
      message.firstReceivedAt ??= now;
      message.invisibleUntil = now + timeout;
      message.receiptHandle = Buffer.from(
        `${queue.name}:${message.messageId}:${message.receiveCount}:${++this.counter}`,
      ).toString("base64");
      out.push(message);
    }
    return out;
  }

  private moveToDeadLetter(queue: Queue, message: StoredMessage, dlqName: string): void {
    const index = queue.messages.indexOf(message);
    if (index !== -1) queue.messages.splice(index, 1);
    const dlq = this.queue(dlqName);
    dlq.messages.push({ ...message, invisibleUntil: 0, receiptHandle: undefined });
    this.wake(dlq);
  }

  private deleteHandle(queue: Queue, receiptHandle: string): void {
    const index = queue.messages.findIndex((m) => m.receiptHandle === receiptHandle);
    if (index === -1) {
      // SQS accepts a stale handle of a message that is gone (deleted meanwhile) without error.
      return;
    }
    queue.messages.splice(index, 1);
    queue.deleted++;
  }

  private wireMessage(m: StoredMessage): Record<string, unknown> {
    const attributes: Record<string, string> = {
      SentTimestamp: String(m.sentAt),
      ApproximateReceiveCount: String(m.receiveCount),
      ApproximateFirstReceiveTimestamp: String(m.firstReceivedAt ?? m.sentAt),
      SenderId: m.senderId,
    };
    if (m.groupId !== undefined) attributes.MessageGroupId = m.groupId;
    if (m.deduplicationId !== undefined) attributes.MessageDeduplicationId = m.deduplicationId;
    if (m.sequenceNumber !== undefined) attributes.SequenceNumber = m.sequenceNumber;
    return {
      MessageId: m.messageId,
      ReceiptHandle: m.receiptHandle,
      MD5OfBody: md5Hex(Buffer.from(m.body, "utf8")),
      Body: m.body,
      Attributes: attributes,
      ...(Object.keys(m.attributes).length === 0
        ? {}
        : { MessageAttributes: m.attributes, MD5OfMessageAttributes: attributesDigest(m.attributes) }),
    };
  }

  private queue(name: string): Queue {
    const queue = this.queues.get(name);
    if (queue === undefined) throw new Error(`the SQS stand-in has no queue ${name}`);
    return queue;
  }

  private queueOrError(name: string): Queue {
    const queue = this.queues.get(name);
    if (queue === undefined)
      throw new ServiceError("QueueDoesNotExist", 400, "The specified queue does not exist.");
    return queue;
  }

  private nameOfUrl(url: string): string {
    return url.slice(url.lastIndexOf("/") + 1);
  }

  private byUrl(url: unknown): Queue {
    return this.queueOrError(this.nameOfUrl(String(url ?? "")));
  }
}

function orderedByGroup(messages: StoredMessage[]): StoredMessage[] {
  const groups = new Map<string, StoredMessage[]>();
  for (const m of messages) {
    const list = groups.get(m.groupId as string) ?? [];
    list.push(m);
    groups.set(m.groupId as string, list);
  }
  return [...groups.values()].flat();
}

function queryErrorCode(code: string): string {
  return code === "QueueDoesNotExist" ? "AWS.SimpleQueueService.NonExistentQueue" : code;
}

function md5Hex(bytes: Uint8Array): string {
  return createHash("md5").update(bytes).digest("hex");
}

function sha256Hex(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

function uuidOf(seed: string): string {
  const h = createHash("sha256").update(seed).update(String(process.pid)).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** The MD5 of message attributes as SQS computes it (and the SDK checks): names sorted, each field length-prefixed. */
export function attributesDigest(attributes: Readonly<Record<string, MessageAttribute>>): string {
  const parts: Buffer[] = [];
  const lengthPrefixed = (bytes: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(bytes.length);
    parts.push(length, bytes);
  };
  for (const name of Object.keys(attributes).sort()) {
    const attribute = attributes[name] as MessageAttribute;
    lengthPrefixed(Buffer.from(name, "utf8"));
    lengthPrefixed(Buffer.from(attribute.DataType, "utf8"));
    if (attribute.BinaryValue !== undefined) {
      parts.push(Buffer.from([2]));
      lengthPrefixed(Buffer.from(attribute.BinaryValue, "base64"));
    } else {
      parts.push(Buffer.from([1]));
      lengthPrefixed(Buffer.from(attribute.StringValue ?? "", "utf8"));
    }
  }
  return md5Hex(Buffer.concat(parts));
}
