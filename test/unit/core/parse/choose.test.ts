import { describe, expect, it } from "vitest";
import { parseConfig } from "../../../../functions/core/config.ts";
import { chooseConfiguredFormat, matchesGlob } from "../../../../functions/core/parse/choose.ts";
import { createParser } from "../../../../functions/core/parse/index.ts";
import { recordOf } from "./fixtures.ts";

/** Formats named in the configuration, chosen per input by glob, prefix or site; the first entry that applies wins. */

describe("matchesGlob", () => {
  it.each<[string, string, boolean]>([
    ["/var/log/nginx/*.log", "/var/log/nginx/access.log", true],
    ["/var/log/nginx/*.log", "/var/log/nginx/old/access.log", false],
    ["/var/log/**/*.log", "/var/log/nginx/old/access.log", true],
    ["/var/log/**/*.log", "/var/log/access.log", true],
    ["**/shop.log", "a/b/shop.log", true],
    ["**/shop.log", "myshop.log", false],
    ["access?.log", "access1.log", true],
    ["access?.log", "access.log", false],
    ["access-*.log.gz", "access-2026-03-02.log.gz", true],
    ["incoming/site=*/nginx/**", "incoming/site=example.com/nginx/2026/03/02/a.gz", true],
    ["incoming/site=*/nginx/**", "incoming/site=example.com/apache/a.gz", false],
    ["a*b*c", "aXbYc", true],
    ["a*b*c", "aXbY", false],
  ])("%s against %s: %s", (pattern, name, expected) => {
    expect(matchesGlob(pattern, name)).toBe(expected);
  });

  it("answers a pattern of many stars against a long name that does not match (a backtracking matcher would not finish)", () => {
    // Prepare: the shape that makes a backtracking matcher exponential; this one fills 61 × 4001 cells once
    const pattern = `${"*a".repeat(30)}b`;
    const name = "a".repeat(4000);

    // Act
    const matched = matchesGlob(pattern, name);

    // Assess
    expect(matched).toBe(false);
    expect(matchesGlob(pattern, `${name}b`)).toBe(true);
  });
});

describe("chooseConfiguredFormat", () => {
  const config = parseConfig({
    sites: ["example.com", "blog.example.com"],
    formats: [
      {
        match: "/var/log/nginx/*.log",
        nginx: "log_format main '$remote_addr [$time_local] \"$request\" $status';",
      },
      { prefix: "incoming/site=shop.example.com/", apache: '%h %t \\"%r\\" %>s %b' },
      { match: "*.caddy.log", format: "caddy" },
      { site: "blog.example.com", format: "traefik" },
      { site: "blog.example.com", match: "never-reached.log", format: "squid" },
    ],
  });

  it("chooses by path, by object key prefix, by base name and by site, the first that applies", () => {
    // Act
    const byPath = chooseConfiguredFormat(config.formats, { name: "/var/log/nginx/access.log" });
    const byKey = chooseConfiguredFormat(config.formats, { name: "incoming/site=shop.example.com/a.log.gz" });
    const byBaseName = chooseConfiguredFormat(config.formats, { name: "/srv/logs/www.caddy.log" });
    const bySite = chooseConfiguredFormat(config.formats, {
      name: "/tmp/never-reached.log",
      site: "blog.example.com",
    });
    const none = chooseConfiguredFormat(config.formats, { name: "/var/log/nginx/old/access.log" });
    const stdin = chooseConfiguredFormat(config.formats, { site: "example.com" });

    // Assess
    expect(byPath?.index).toBe(0);
    expect(typeof byPath?.format === "object" && byPath.format.format).toBe("nginx");
    expect(byKey?.index).toBe(1);
    expect(typeof byKey?.format === "object" && byKey.format.format).toBe("apache");
    expect(byBaseName).toEqual({ index: 2, format: "caddy" });
    expect(bySite).toEqual({ index: 3, format: "traefik" });
    expect(none).toBeNull();
    expect(stdin).toBeNull();
  });

  it("gives a compiled format that reads its lines", () => {
    // Prepare
    const chosen = chooseConfiguredFormat(config.formats, { name: "/var/log/nginx/access.log" });

    // Act
    const parser = createParser(chosen?.format ?? "combined");
    const r = recordOf(parser.parse('203.0.113.7 [02/Mar/2026:08:15:01 +0000] "GET /a HTTP/1.1" 404'));

    // Assess
    expect(r).toMatchObject({ clientIp: "203.0.113.7", target: "/a", status: 404 });
  });
});
