import { describe, expect, it } from "vitest";
import { queryParameters } from "../../../../functions/core/aggregate/query-file.ts";
import { DASHBOARD_QUERIES, queriesFor } from "../../../../functions/core/dashboard/queries.ts";
import { ADDRESS_LOOKUP_PARAM, ADDRESS_PARAM } from "../../../../functions/core/security/address-lookup.ts";
import { loadQueryCatalog } from "../../../../functions/runtime/query-files.ts";

/**
 * The allowlist against the query files it names: each file exists, the browser's parameters are exactly the
 * file's (less k, which the configuration binds), and nothing marketing may run reads a table with people in it.
 */

const catalog = loadQueryCatalog();
const IDENTIFYING_COLUMNS = ["client_ip", "visitor_id", "ip_prefix", "user_agent", "referrer", "target"];

describe("the dashboard allowlist", () => {
  it("names existing query files, with the files' parameters less k (and ip for a file's address lookup)", () => {
    for (const query of DASHBOARD_QUERIES) {
      // Act
      const definition = catalog.byId.get(query.queryId);
      // Assess
      expect(definition, query.queryId).toBeDefined();
      // A file that looks an address up takes the lookup's id; the browser gives the address as `ip`.
      const fileParams = queryParameters(definition ?? ({ placeholders: [] } as never))
        .map((p) => (p.name === ADDRESS_LOOKUP_PARAM ? ADDRESS_PARAM : p.name))
        .filter((n) => n !== "k" && n !== "login_paths");
      expect(query.params.map((p) => p.name).sort(), query.name).toEqual(fileParams.sort());
    }
  });

  it("gives marketing only queries over stats/ with no identifying column", () => {
    for (const query of DASHBOARD_QUERIES.filter((q) => q.capability === "marketing")) {
      // Prepare
      const select = catalog.byId.get(query.queryId)?.select ?? "";
      // Act
      const tables = [...select.matchAll(/\bFROM\s+([a-z_]+)/gi)].map((m) => (m[1] ?? "").toLowerCase());
      // Assess: every FROM is a stats table or a CTE of the same statement
      const ctes = new Set(
        [...select.matchAll(/\b([a-z_]+)\s+AS\s*\(/gi)].map((m) => (m[1] ?? "").toLowerCase()),
      );
      for (const table of tables)
        expect(table.startsWith("stats_") || ctes.has(table), `${query.name}: ${table}`).toBe(true);
      for (const column of query.columns) expect(IDENTIFYING_COLUMNS, query.name).not.toContain(column.name);
    }
  });

  it("suppresses below k in the SQL of every marketing query that counts visitors", () => {
    for (const query of DASHBOARD_QUERIES.filter((q) => q.columns.some((c) => c.name === "visitors"))) {
      // Act
      const definition = catalog.byId.get(query.queryId);
      // Assess: a dashboard.* file whose placeholders include k, folding small rows into (other)
      expect(query.queryId.startsWith("dashboard."), query.name).toBe(true);
      expect(
        definition?.placeholders.some((p) => p.name === "k"),
        query.name,
      ).toBe(true);
      expect(definition?.select, query.name).toContain("'(other)'");
    }
  });

  it("lists the security queries for the security roles only", () => {
    // Act
    const marketing = queriesFor(["marketing"]);
    const security = queriesFor(["marketing", "security"]);
    // Assess
    expect(marketing).not.toContain("top-talkers");
    expect(marketing).toContain("top-pages");
    expect(security).toEqual(
      expect.arrayContaining(["top-talkers", "error-bursts", "login-brute-force", "scanners", "ip-timeline"]),
    );
  });
});
