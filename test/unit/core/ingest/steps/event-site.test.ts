import { describe, expect, it } from "vitest";
import { eventSite } from "../../../../../functions/core/ingest/steps/event-site.ts";
import { accessRecord, stepRun } from "./run-fixture.ts";

const config = {
  sites: ["example.com", "blog.example.com"],
  siteSettings: { "example.com": { aliases: ["example.de"] } },
};

describe("event site step", () => {
  it("counts a line for the configured site its host names, directly, by alias or with www.", () => {
    // Prepare
    const { run } = stepRun({ config });
    // Act
    const sites = ["example.com", "www.example.com", "example.de", "www.example.de", "blog.example.com"].map(
      (host) => eventSite(run, accessRecord({ host })),
    );
    // Assess
    expect(sites).toEqual(["example.com", "example.com", "example.com", "example.com", "blog.example.com"]);
    expect(run.dropped).toBe(0);
  });

  it("ends a line whose host is none of the configured sites, counted as unknown_site", () => {
    // Prepare: hosts an attacker can send as a Host header or a JSON host field.
    const { run } = stepRun({ config });
    const hosts = ["alice.smith@example.com", "203.0.113.200", "203-0-113-9.example.com", "shop.example.com"];
    // Act
    const sites = hosts.map((host) => eventSite(run, accessRecord({ host })));
    // Assess
    expect(sites).toEqual([null, null, null, null]);
    expect(run.dropped).toBe(4);
    expect(run.droppedByReason).toEqual({ unknown_site: 4 });
  });

  it("counts a line without a host for the default site", () => {
    const { run } = stepRun({ config: { ...config, defaultSite: "blog.example.com" } });
    expect(eventSite(run, accessRecord({ host: null }))).toBe("blog.example.com");
  });

  it("resolves --site like a host: a configured site or alias wins over the line's host; another site ends every line", () => {
    // Prepare
    const alias = stepRun({ config, site: "EXAMPLE.DE" }).run;
    const unknown = stepRun({ config, site: "other.example" }).run;
    // Act / Assess
    expect(eventSite(alias, accessRecord({ host: "blog.example.com" }))).toBe("example.com");
    expect(eventSite(unknown, accessRecord({ host: "example.com" }))).toBeNull();
    expect(unknown.droppedByReason).toEqual({ unknown_site: 1 });
  });

  it("with no sites configured, takes no host from the input: every line counts for the default site", () => {
    // Prepare
    const open = stepRun({ config: {} }).run;
    const named = stepRun({ config: { defaultSite: "mysite.example" } }).run;
    // Act / Assess
    expect(eventSite(open, accessRecord({ host: "alice.smith@example.com" }))).toBe("default");
    expect(eventSite(open, accessRecord({ host: null }))).toBe("default");
    expect(eventSite(named, accessRecord({ host: "203.0.113.200" }))).toBe("mysite.example");
    expect(open.dropped + named.dropped).toBe(0);
  });
});
