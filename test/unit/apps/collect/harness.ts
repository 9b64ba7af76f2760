import { readFileSync } from "node:fs";
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import type { CollectLogger, CollectRoutesDeps } from "../../../../functions/apps/collect/routes.ts";
import { createHttpApp } from "../../../../functions/apps/http/app.ts";
import { lambdaPlatform } from "../../../../functions/apps/http/lambda.ts";
import { createCollector } from "../../../../functions/core/collect/collector.ts";
import {
  type CollectorSettingsInput,
  parseCollectorSettings,
} from "../../../../functions/core/collect/settings.ts";
import { parseConfig } from "../../../../functions/core/config.ts";
import { createEnricher } from "../../../../functions/core/enrich/enrich.ts";
import type { EventRow } from "../../../../functions/core/types.ts";
import { FixedClock } from "../../../../functions/ports/clock.ts";
import {
  type EventSink,
  type EventSinkStats,
  EventSinkUnavailableError,
} from "../../../../functions/ports/event-sink.ts";
import { NO_GEO } from "../../../../functions/ports/geo.ts";
import type { SaltStore } from "../../../../functions/ports/salt-store.ts";
import { type LambdaHttpHandler, lambdaHandler } from "../../../helpers/lambda-http.ts";

/**
 * Test wiring for the collector's routes: the real core and the HTTP app with the collector's routes, as the
 * collect Lambda runs it (Hono's Lambda adapter, API Gateway's sourceIp), over in-memory ports. Requests are
 * HTTP API v2 events, so the API Gateway shape stays tested.
 */

export const UA_CHROME =
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
export const UA_GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";
/** 2026-11-20T10:00:00Z */
export const NOW = Date.UTC(2026, 10, 20, 10, 0, 0);

const BASE_EVENT = JSON.parse(
  readFileSync(new URL("../../../fixtures/collector/events/http-api-v2.json", import.meta.url), "utf8"),
) as APIGatewayProxyEventV2;

/** Keeps rows in memory; `failing` makes it refuse like a sink that cannot take events. */
export class MemorySink implements EventSink {
  readonly rows: EventRow[] = [];
  failing = false;

  async write(rows: readonly EventRow[]): Promise<void> {
    if (this.failing) throw new EventSinkUnavailableError("event sink: test says no");
    this.rows.push(...rows);
  }
  async flush(): Promise<void> {}
  async close(): Promise<void> {}
  stats(): EventSinkStats {
    return {
      received: this.rows.length,
      written: this.rows.length,
      pending: 0,
      batches: 0,
      failedAttempts: 0,
    };
  }
}

/** One fixed salt per day, so visitor ids are reproducible. */
export class FixedSalts implements SaltStore {
  readonly days: string[] = [];
  async saltForDay(day: string): Promise<Uint8Array> {
    this.days.push(day);
    return new Uint8Array(32).fill(7);
  }
  async destroyExpired(): Promise<string[]> {
    return [];
  }
}

export interface LogLine {
  readonly level: string;
  readonly message: string;
  readonly attributes: Record<string, unknown>;
}

export interface Harness {
  /** The collect function's handler: an HTTP API v2 event in, the structured result out. */
  readonly handle: LambdaHttpHandler;
  /** The same collector's routes, to mount on another runtime. */
  readonly routes: CollectRoutesDeps;
  readonly logger: CollectLogger;
  readonly sink: MemorySink;
  readonly clock: FixedClock;
  readonly logs: LogLine[];
  readonly counters: () => ReturnType<ReturnType<typeof createCollector>["counters"]>;
}

/** The Umami website id the default configuration maps to example.com (`siteSettings.example.com.umamiWebsiteIds`). */
export const UMAMI_WEBSITE_ID = "4fb7fa4c-5b46-438d-94b3-3a8fb9bc2e8b";

export function harness(
  options: { config?: unknown; settings?: CollectorSettingsInput; script?: string | null } = {},
): Harness {
  const config = parseConfig(
    options.config ?? {
      sites: ["example.com", "shop.example.org"],
      siteSettings: { "example.com": { umamiWebsiteIds: [UMAMI_WEBSITE_ID] } },
    },
  );
  const settings = parseCollectorSettings(options.settings ?? {});
  const clock = new FixedClock(NOW);
  const sink = new MemorySink();
  const logs: LogLine[] = [];
  const log =
    (level: string) =>
    (message: string, attributes: Record<string, unknown> = {}) =>
      logs.push({ level, message, attributes });
  const logger: CollectLogger = { info: log("INFO"), warn: log("WARN"), error: log("ERROR") };
  const collector = createCollector({
    config,
    settings,
    enrich: createEnricher(NO_GEO),
    salts: new FixedSalts(),
    sink,
    clock,
    trackerScript: options.script === undefined ? "/* logsieve.js */" : options.script,
  });
  const routes: CollectRoutesDeps = { collector, logger, maxBodyBytes: settings.maxBodyBytes };
  const app = createHttpApp({ platform: lambdaPlatform, logger, collect: routes });
  return {
    handle: lambdaHandler(app),
    routes,
    logger,
    sink,
    clock,
    logs,
    counters: () => collector.counters(),
  };
}

export interface RequestSpec {
  readonly method?: string;
  readonly path: string;
  readonly query?: string;
  /** Headers replacing the fixture's; `null` removes one. */
  readonly headers?: Record<string, string | null>;
  readonly body?: string;
  readonly base64?: boolean;
  readonly sourceIp?: string;
}

/** An HTTP API v2 event from the fixture, changed as the spec says. */
export function httpEvent(spec: RequestSpec): APIGatewayProxyEventV2 {
  const headers: Record<string, string> = { ...(BASE_EVENT.headers as Record<string, string>) };
  for (const [name, value] of Object.entries(spec.headers ?? {})) {
    if (value === null) delete headers[name];
    else headers[name] = value;
  }
  const method = spec.method ?? "POST";
  return {
    ...BASE_EVENT,
    rawPath: spec.path,
    rawQueryString: spec.query ?? "",
    headers,
    requestContext: {
      ...BASE_EVENT.requestContext,
      http: {
        ...BASE_EVENT.requestContext.http,
        method,
        path: spec.path,
        sourceIp: spec.sourceIp ?? "203.0.113.77",
      },
    },
    ...(spec.body === undefined
      ? { body: undefined }
      : { body: spec.base64 ? Buffer.from(spec.body).toString("base64") : spec.body }),
    isBase64Encoded: spec.base64 === true,
  };
}

/** A body of JSON. */
export const json = (value: unknown) => JSON.stringify(value);
