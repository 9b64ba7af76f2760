import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * What every stand-in shares: an HTTP server on 127.0.0.1 (port chosen by the OS), a request log, deny rules
 * and a clock the test can move. Stand-ins never check signatures (any SigV4 is accepted), but they read the
 * access key id out of the Authorization header so each request can be traced to its caller (every function
 * sandbox gets its own dummy key).
 */

export type ServiceName =
  | "s3"
  | "sqs"
  | "firehose"
  | "sts"
  | "athena"
  | "cognito-identity"
  | "cloudformation"
  | "cloudwatch";

/** One request as a stand-in understood it. */
export interface RecordedRequest {
  readonly service: ServiceName;
  /** The API action, as in IAM without the prefix: `PutObject`, `SendMessage`, `StartQueryExecution`... */
  readonly action: string;
  /** What it acted on: `bucket/key` for S3 objects, `bucket` for bucket calls, the queue name, stream, role ARN... */
  readonly resource: string;
  /** The access key id of the signature (who asked), or "" when unsigned. */
  readonly accessKeyId: string;
  /** HTTP status of the answer. */
  status: number;
  /** Error code of the answer, when it failed. */
  errorCode?: string;
  /** Extra facts useful to checks: the S3 list prefix, the version id, the KMS key used... */
  readonly details: Record<string, string>;
  /** Stand-in clock time of the request, epoch ms. */
  readonly at: number;
}

/** Makes a stand-in answer a request with an error, e.g. AccessDenied on `GetObject` under `security/`. */
export interface DenyRule {
  readonly service: ServiceName;
  /** Action name(s) as in {@link RecordedRequest.action}; any action when absent. */
  readonly action?: string | readonly string[];
  /** A resource prefix (string) or pattern; any resource when absent. */
  readonly resource?: string | RegExp;
  /** Only requests signed with this access key (a caller); any caller when absent. */
  readonly accessKeyId?: string;
  /** How many matching requests to let through before denying (to fail the n-th call of a run). Default 0. */
  readonly skip?: number;
  /**
   * Denies only the requests this says yes to, given what the stand-in recorded of the request so far (the S3 list
   * prefix, the version id...): how a test makes the stand-ins enforce IAM (deployment/deployment.ts enforceIam).
   */
  readonly when?: (request: RecordedRequest) => boolean;
  /** How many matching requests to deny before the rule lapses; unlimited when absent. */
  readonly times?: number;
  /** Error code and status of the answer. Default AccessDenied / 403 (AccessDeniedException for JSON services). */
  readonly code?: string;
  readonly status?: number;
  readonly message?: string;
}

export interface DenyHandle {
  /** Requests this rule has denied so far. */
  readonly denied: number;
  remove(): void;
}

/** The time all stand-ins agree on: the wall clock plus an offset the test may advance. */
export class StandinClock {
  private offsetMs = 0;
  now(): number {
    return Date.now() + this.offsetMs;
  }
  advance(ms: number): void {
    this.offsetMs += ms;
  }
}

/** Shared by the stand-ins of one {@link startStandins} call. */
export class StandinContext {
  readonly requests: RecordedRequest[] = [];
  private readonly rules: { rule: DenyRule; seen: number; denied: number; active: boolean }[] = [];

  constructor(readonly clock: StandinClock) {}

  deny(rule: DenyRule): DenyHandle {
    const entry = { rule, seen: 0, denied: 0, active: true };
    this.rules.push(entry);
    return {
      get denied() {
        return entry.denied;
      },
      remove: () => {
        entry.active = false;
      },
    };
  }

  /** The deny rule matching a request (and counts it), or undefined. */
  matchDeny(
    service: ServiceName,
    action: string,
    resource: string,
    accessKeyId: string,
    recorded?: RecordedRequest,
  ): DenyRule | undefined {
    for (const entry of this.rules) {
      const { rule } = entry;
      if (!entry.active || rule.service !== service) continue;
      if (rule.action !== undefined && ![rule.action].flat().includes(action)) continue;
      if (rule.accessKeyId !== undefined && rule.accessKeyId !== accessKeyId) continue;
      if (typeof rule.resource === "string" && !resource.startsWith(rule.resource)) continue;
      if (rule.resource instanceof RegExp && !rule.resource.test(resource)) continue;
      if (rule.when !== undefined && (recorded === undefined || !rule.when(recorded))) continue;
      entry.seen++;
      if (entry.seen <= (rule.skip ?? 0)) continue;
      entry.denied++;
      if (rule.times !== undefined && entry.denied >= rule.times) entry.active = false;
      return rule;
    }
    return undefined;
  }

  record(request: Omit<RecordedRequest, "at">): RecordedRequest {
    const recorded = { ...request, at: this.clock.now() };
    this.requests.push(recorded);
    return recorded;
  }
}

/** An error a stand-in answers with, in its service's format. */
export class ServiceError extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** The access key id of a SigV4 Authorization header. */
export function accessKeyOf(req: IncomingMessage): string {
  const auth = req.headers.authorization ?? "";
  const match = /Credential=([^/,\s]+)\//.exec(auth);
  return match?.[1] ?? "";
}

export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * The payload of an `aws-chunked` body (what the SDK sends for streamed uploads with a trailing checksum):
 * `<hex size>[;chunk-signature=...]\r\n<bytes>\r\n` ... `0\r\n<trailer lines>\r\n\r\n`.
 */
export function decodeAwsChunked(body: Buffer): { payload: Buffer; trailers: Record<string, string> } {
  const parts: Buffer[] = [];
  let pos = 0;
  for (;;) {
    const eol = body.indexOf("\r\n", pos);
    if (eol === -1)
      throw new ServiceError("IncompleteBody", 400, "aws-chunked body ends inside a chunk header");
    const header = body.subarray(pos, eol).toString("latin1");
    const size = Number.parseInt(header.split(";")[0] ?? "", 16);
    if (!Number.isFinite(size)) throw new ServiceError("InvalidRequest", 400, "bad aws-chunked chunk header");
    pos = eol + 2;
    if (size === 0) break;
    parts.push(body.subarray(pos, pos + size));
    pos += size + 2;
  }
  const trailers: Record<string, string> = {};
  for (const line of body.subarray(pos).toString("latin1").split("\r\n")) {
    const colon = line.indexOf(":");
    if (colon > 0) trailers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { payload: Buffer.concat(parts), trailers };
}

export function md5Hex(bytes: Uint8Array): string {
  return createHash("md5").update(bytes).digest("hex");
}

export function xmlEscape(text: string): string {
  return text
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&apos;");
}

/** The text of every `<tag>...</tag>` in a small XML document (the request bodies the SDK sends are flat). */
export function xmlValues(xml: string, tag: string): string[] {
  const out: string[] = [];
  const re = new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, "g");
  for (let m = re.exec(xml); m !== null; m = re.exec(xml)) out.push(xmlUnescape(m[1] ?? ""));
  return out;
}

export function xmlUnescape(text: string): string {
  return text
    .replaceAll("&lt;", "<")
    .replaceAll("&gt;", ">")
    .replaceAll("&quot;", '"')
    .replaceAll("&apos;", "'")
    .replace(/&#(\d+);/g, (_m, n: string) => String.fromCodePoint(Number(n)))
    .replace(/&#x([0-9a-f]+);/gi, (_m, n: string) => String.fromCodePoint(Number.parseInt(n, 16)))
    .replaceAll("&amp;", "&");
}

export type Handler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

/** Starts an HTTP server on 127.0.0.1; a handler that throws answers 500 with the message (a stand-in bug). */
export async function listen(handler: Handler): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    handler(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" });
      res.end(`stand-in failure: ${error instanceof Error ? error.stack : String(error)}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${port}` };
}

export async function close(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

let requestCounter = 0;
/** A request id in the shape AWS uses (upper-case hex). */
export function requestId(): string {
  requestCounter++;
  return createHash("sha256")
    .update(`${process.pid}:${requestCounter}`)
    .digest("hex")
    .slice(0, 16)
    .toUpperCase();
}

/**
 * The JSON protocols (SQS, Firehose, Athena): `X-Amz-Target: <Prefix>.<Action>`, a JSON body, errors as
 * `{"__type": "...#Code", "message": "..."}`. `handle` returns the response object or throws a ServiceError.
 */
export function jsonService(options: {
  readonly service: ServiceName;
  readonly context: StandinContext;
  readonly targetPrefix: string;
  readonly contentType: string;
  /** Names the resource of a request, for the log and deny rules. */
  readonly resourceOf: (action: string, input: Record<string, unknown>) => string;
  readonly handle: (
    action: string,
    input: Record<string, unknown>,
    meta: { accessKeyId: string; details: Record<string, string> },
  ) => Promise<unknown>;
  /** Extra headers for an error (SQS's x-amzn-query-error). */
  readonly errorHeaders?: (code: string, status: number) => Record<string, string>;
}): Handler {
  return async (req, res) => {
    const body = await readBody(req);
    const target = String(req.headers["x-amz-target"] ?? "");
    const action = target.startsWith(`${options.targetPrefix}.`)
      ? target.slice(options.targetPrefix.length + 1)
      : "";
    const accessKeyId = accessKeyOf(req);
    let input: Record<string, unknown> = {};
    try {
      input = body.length === 0 ? {} : (JSON.parse(body.toString("utf8")) as Record<string, unknown>);
    } catch {
      // answered below as a serialization error
    }
    const details: Record<string, string> = {};
    const resource = action === "" ? "" : options.resourceOf(action, input);
    const recorded = options.context.record({
      service: options.service,
      action: action || target,
      resource,
      accessKeyId,
      status: 200,
      details,
    });
    const fail = (code: string, status: number, message: string) => {
      recorded.status = status;
      recorded.errorCode = code;
      res.writeHead(status, {
        "content-type": options.contentType,
        "x-amzn-requestid": requestId(),
        ...(options.errorHeaders?.(code, status) ?? {}),
      });
      res.end(JSON.stringify({ __type: `com.amazonaws.standin#${code}`, message }));
    };
    if (action === "") {
      fail("UnknownOperationException", 400, `unknown target ${target}`);
      return;
    }
    const rule = options.context.matchDeny(options.service, action, resource, accessKeyId, recorded);
    if (rule !== undefined) {
      fail(
        rule.code ?? "AccessDeniedException",
        rule.status ?? 400,
        rule.message ?? `stand-in denies ${action} on ${resource}`,
      );
      return;
    }
    try {
      const output = await options.handle(action, input, { accessKeyId, details });
      res.writeHead(200, { "content-type": options.contentType, "x-amzn-requestid": requestId() });
      res.end(JSON.stringify(output ?? {}));
    } catch (error) {
      if (error instanceof ServiceError) fail(error.code, error.status, error.message);
      else throw error;
    }
  };
}
