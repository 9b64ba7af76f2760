import { describe, expect, it } from "vitest";
import { allowedProps } from "../../../../functions/core/collect/properties.ts";
import { harness, httpEvent, json } from "./harness.ts";

/**
 * Custom event properties through the collect function's handler: every tracker's way of sending them (native
 * `props`, Plausible `p` as an object or a JSON string, Matomo `e_n`/`e_v`, Umami's `data`), kept only under the site's allowlist
 * (`siteSettings.<site>.eventProperties`), every other property dropped and counted, values masked like free text.
 */

const UMAMI_ID = "4fb7fa4c-5b46-438d-94b3-3a8fb9bc2e8b";
const CONFIG = {
  sites: ["example.com", "shop.example.org"],
  siteSettings: {
    "example.com": { eventProperties: ["plan", "method", "name"], umamiWebsiteIds: [UMAMI_ID] },
  },
};
const PAGE = "https://example.com/pricing";

const propsOf = (row: Record<string, unknown> | undefined) =>
  [1, 2, 3, 4].map((n) => [row?.[`prop_key_${n}`] ?? null, row?.[`prop_value_${n}`] ?? null]);

describe("custom event properties", () => {
  it("keeps allowlisted properties in the allowlist's order and counts the others as dropped", async () => {
    // Prepare
    const h = harness({ config: CONFIG });
    // Act
    const result = await h.handle(
      httpEvent({
        path: "/collect",
        body: json({
          site: "example.com",
          url: PAGE,
          name: "Signup",
          props: { email: "x", method: "card", plan: "pro", seats: 3 },
        }),
      }),
    );
    // Assess
    expect(result.statusCode).toBe(202);
    expect(h.sink.rows).toHaveLength(1);
    expect(propsOf(h.sink.rows[0] as unknown as Record<string, unknown>)).toEqual([
      ["plan", "pro"],
      ["method", "card"],
      [null, null],
      [null, null],
    ]);
    expect(h.counters().properties).toEqual({ kept: 2, dropped: 2 });
  });

  it("reads Plausible's p as an object and as a JSON string", async () => {
    // Prepare
    const h = harness({ config: CONFIG });
    // Act
    for (const p of [{ plan: "free", other: "x" }, JSON.stringify({ plan: "team" })]) {
      await h.handle(
        httpEvent({ path: "/api/event", body: json({ n: "Signup", u: PAGE, d: "example.com", p }) }),
      );
    }
    // Assess
    expect(h.sink.rows.map((r) => [r.event_name, r.prop_key_1, r.prop_value_1])).toEqual([
      ["Signup", "plan", "free"],
      ["Signup", "plan", "team"],
    ]);
    expect(h.counters().properties).toEqual({ kept: 2, dropped: 1 });
  });

  it("reads Umami's data: its text, number and boolean values, not nested ones", async () => {
    // Prepare
    const h = harness({ config: CONFIG });
    // Act
    await h.handle(
      httpEvent({
        path: "/api/send",
        headers: { "content-type": "application/json" },
        body: json({
          type: "event",
          payload: {
            website: UMAMI_ID,
            url: "/pricing",
            name: "signup",
            data: { plan: "pro", seats: 3, address: { city: "Berlin" }, method: true },
          },
        }),
      }),
    );
    // Assess: plan and method kept (the allowlist's order), seats dropped, the nested object never read.
    expect(propsOf(h.sink.rows[0] as unknown as Record<string, unknown>)).toEqual([
      ["plan", "pro"],
      ["method", "true"],
      [null, null],
      [null, null],
    ]);
    expect(h.counters().properties).toEqual({ kept: 2, dropped: 1 });
  });

  it("stores Matomo's e_n as the property name (when allowlisted) and drops e_v (not allowlisted)", async () => {
    // Prepare
    const h = harness({ config: CONFIG });
    const query = new URLSearchParams({
      idsite: "example.com",
      rec: "1",
      url: PAGE,
      e_c: "Video",
      e_a: "Play",
      e_n: "Intro film",
      e_v: "42",
    }).toString();
    // Act
    await h.handle(httpEvent({ method: "GET", path: "/matomo.php", query }));
    // Assess
    expect(h.sink.rows.map((r) => [r.event_name, r.prop_key_1, r.prop_value_1, r.prop_key_2])).toEqual([
      ["Video/Play", "name", "Intro film", null],
    ]);
    expect(h.counters().properties).toEqual({ kept: 1, dropped: 1 });
  });

  it("masks personal data in kept values and cuts them at 200 characters", async () => {
    // Prepare
    const h = harness({ config: CONFIG });
    // Act
    await h.handle(
      httpEvent({
        path: "/collect",
        body: json({
          site: "example.com",
          url: PAGE,
          name: "Signup",
          props: { plan: "alice.smith@example.com 203.0.113.9", method: "x".repeat(500) },
        }),
      }),
    );
    // Assess
    const row = h.sink.rows[0];
    expect(row?.prop_value_1).not.toContain("alice");
    expect(row?.prop_value_1).not.toContain("203.0.113.9");
    expect(row?.prop_value_1).toContain("[email]");
    expect(row?.prop_value_2).toHaveLength(200);
  });

  it("keeps no property for a site without an allowlist, and stores the event", async () => {
    // Prepare
    const h = harness({ config: CONFIG });
    // Act
    await h.handle(
      httpEvent({
        path: "/collect",
        headers: { origin: null },
        body: json({
          site: "shop.example.org",
          url: "https://shop.example.org/",
          name: "Buy",
          props: { plan: "pro" },
        }),
      }),
    );
    // Assess
    expect(h.sink.rows).toHaveLength(1);
    expect(
      propsOf(h.sink.rows[0] as unknown as Record<string, unknown>)
        .flat()
        .every((v) => v === null),
    ).toBe(true);
    expect(h.counters().properties).toEqual({ kept: 0, dropped: 1 });
  });

  it("counts nothing for events without properties (page views)", async () => {
    // Prepare
    const h = harness({ config: CONFIG });
    // Act
    await h.handle(httpEvent({ path: "/collect", body: json({ site: "example.com", url: PAGE }) }));
    // Assess
    expect(h.counters().properties).toEqual({ kept: 0, dropped: 0 });
    expect(h.sink.rows[0]?.prop_key_1).toBeNull();
  });
});

describe("allowedProps", () => {
  it("keeps the first value of a name sent twice and drops the repetition", () => {
    expect(
      allowedProps(
        [
          ["plan", "a"],
          ["plan", "b"],
        ],
        ["plan"],
      ),
    ).toEqual({ kept: [["plan", "a"]], dropped: 1 });
  });

  it("is empty for nothing sent", () => {
    expect(allowedProps(undefined, ["plan"])).toEqual({ kept: [], dropped: 0 });
  });
});
