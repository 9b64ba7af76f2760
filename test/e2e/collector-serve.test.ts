import { access, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningServe, startServe } from "../../functions/apps/http/server.ts";
import { readZone } from "./collector-harness.ts";

/**
 * `logsieve serve`'s HTTP side: the HTTP app on @hono/node-server with the collector's routes (the socket's peer as
 * the client address, never X-Forwarded-For), bodies over the platform cap refused before any route reads them,
 * unknown paths answered and counted by the collector, and the local status page with the counters.
 */

const UA = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";

describe("logsieve serve over HTTP", () => {
  let dir: string;
  let serve: RunningServe;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "logsieve-serve-"));
    // A salt created three days ago, which no sweeper has destroyed yet.
    await mkdir(join(dir, "lake", "salts", "dt=2026-01-01"), { recursive: true });
    await writeFile(
      join(dir, "lake", "salts", "dt=2026-01-01", "salt.json"),
      JSON.stringify({
        createdAt: Date.now() - 72 * 3_600_000,
        salt: Buffer.alloc(32, 1).toString("base64"),
      }),
    );
    serve = await startServe({
      host: "127.0.0.1",
      port: 0,
      lakeDir: join(dir, "lake"),
      config: { sites: ["example.com"] },
      sink: { maxBatchAgeMs: 50 },
      logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
    });
  });

  afterAll(async () => {
    await serve?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("takes the client address from the socket and stores the event", async () => {
    // Act
    const response = await fetch(`${serve.url}/collect`, {
      method: "POST",
      headers: { "content-type": "application/json", "user-agent": UA, "x-forwarded-for": "198.51.100.7" },
      body: JSON.stringify({
        site: "example.com",
        url: "https://example.com/served",
        consent: { statistics: true },
      }),
    });
    await serve.collector.sink.flush();
    // Assess
    expect(response.status).toBe(202);
    const rows = (await readZone(serve.collector.lakeDir, "events")).flatMap((o) => o.rows);
    expect(rows.map((r) => [r.path, r.ip_prefix, r.browser])).toEqual([
      ["/served", "127.0.0.0/24", "Firefox"],
    ]);
  });

  it("hands a binary body to the collector, which refuses its type with the reason", async () => {
    // Act
    const response = await fetch(`${serve.url}/collect`, {
      method: "POST",
      headers: { "content-type": "application/octet-stream", "user-agent": UA },
      body: new Uint8Array([0xff, 0x00, 0x7b]),
    });
    // Assess: the collector saw the type and refused it with its reason.
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: "bad_request", reason: "bad_content_type" });
  });

  it("answers the collector's 413 over 8 KiB, and refuses bodies over the platform cap before any route", async () => {
    // Act
    const collector413 = await fetch(`${serve.url}/collect`, { method: "POST", body: "x".repeat(9 * 1024) });
    const platform413 = await fetch(`${serve.url}/collect`, {
      method: "POST",
      body: "x".repeat(1024 * 1024 + 1),
    });
    // Assess
    expect(collector413.status).toBe(413);
    expect(await collector413.json()).toEqual({ error: "payload_too_large", reason: "body_too_large" });
    expect(platform413.status).toBe(413);
    expect(await platform413.json()).toEqual({ error: "payload_too_large" });
  });

  it("destroys salts past their 48 hours when it starts", async () => {
    // Assess
    await expect(access(join(dir, "lake", "salts", "dt=2026-01-01", "salt.json"))).rejects.toThrow();
  });

  it("answers 404 for a path no route serves, as the collector's refusal", async () => {
    // Act
    const response = await fetch(`${serve.url}/admin`);
    // Assess
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ error: "not_found", reason: "not_found" });
  });

  it("shows the counters on the local status page", async () => {
    // Act
    const response = await fetch(`${serve.url}/_logsieve/status`);
    const body = (await response.json()) as {
      collector: { stored: number; rejected: { byReason: Record<string, number> } };
      sink: { written: number };
    };
    // Assess
    expect(body.collector.stored).toBe(1);
    expect(body.collector.rejected.byReason).toMatchObject({
      bad_content_type: 1,
      body_too_large: 1,
      not_found: 1,
    });
    expect(body.sink.written).toBe(1);
  });
});
