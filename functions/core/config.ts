import { z } from "zod";
import { EVENT_PROP_SLOTS, GOAL_PAGE_PATTERN, MAX_GOALS_PER_SITE } from "./goals.ts";
import { specOf } from "./parse/choose.ts";
import { compileFormatSpec, FormatError } from "./parse/custom/index.ts";
import { PATH_PATTERN } from "./scrub/path-patterns.ts";
import { isSecretParamName } from "./scrub/personal-data.ts";
import { CLICK_ID_PARAMS, UTM_PARAMS } from "./scrub/scrub.ts";
import { LOG_FORMATS } from "./types.ts";

/**
 * The operator's configuration. Every option has a default, so `{}` is a valid configuration.
 * It is validated once, before anything is processed, and every error names the setting.
 * runtime/ reads it from a file or CDK context; the core only ever receives the parsed object.
 */

const HOURS_IN_7_DAYS = 168;

const siteName = z
  .string()
  .min(1)
  .max(253)
  .regex(/^[a-z0-9.-]+$/i, "a site is a host name such as example.com (letters, digits, dots, hyphens)")
  .transform((s) => s.toLowerCase());

/** A query parameter the operator keeps: a plain name (it is printed into the policy), never a secret. */
const queryParamName = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_.[\]-]+$/, "a query parameter name: letters, digits and _ . - [ ] only")
  .refine(
    (name) => !isSecretParamName(name),
    "this name carries sessions, tokens or credentials (see docs/PRIVACY.md): it is never kept",
  )
  .refine(
    (name) => !(UTM_PARAMS as readonly string[]).includes(name.toLowerCase()),
    "the utm parameters are always kept: no need to list them",
  )
  .refine(
    (name) => !CLICK_ID_PARAMS.has(name.toLowerCase()),
    "click ids are kept only with marketing consent, in their own column: they cannot be allowed here",
  )
  .transform((name) => name.toLowerCase());

/** A path pattern whose `*` segments are kept as they are (see functions/core/scrub/path-patterns.ts). */
const pathPattern = z
  .string()
  .max(256)
  .regex(PATH_PATTERN, "a path pattern such as /product/* (segments of URL characters or *)");

const scrubExceptions = {
  /** Query parameters kept besides the five `utm_*` (and click ids in the marketing tier); values still masked. */
  allowedQueryParams: z.array(queryParamName).default([]),
  /** Path segments kept although they look like identifiers: `/product/*` keeps product numbers. */
  allowedPaths: z.array(pathPattern).default([]),
};

/** A custom event property a site keeps (docs/PRIVACY.md "Custom events and properties"). */
const propertyKey = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_.:-]+$/, "a property name: letters, digits and _ . : - only")
  .refine(
    (name) => !isSecretParamName(name),
    "this name carries sessions, tokens or credentials (see docs/PRIVACY.md): it is never kept",
  );

// biome-ignore lint/suspicious/noControlCharactersInRegex: a goal's name is shown to people; control characters are refused
const GOAL_NAME = /^[^\u0000-\u001f\u007f]{1,120}$/;

/** A goal: an event name (a custom event) or a page pattern (page views), shown under `name`. */
const goal = z
  .object({
    name: z.string().regex(GOAL_NAME, "a goal's name: 1 to 120 characters, no control characters"),
    /** A custom event's name, as the tracker sends it (`Signup`). */
    event: z
      .string()
      .regex(GOAL_NAME, "an event name: 1 to 120 characters, no control characters")
      .optional(),
    // A page path, `*` matching any characters (`/checkout/*/done`).
    page: z
      .string()
      .max(256)
      .regex(GOAL_PAGE_PATTERN, "a page pattern such as /pricing or /blog/* (a path; * matches anything)")
      .optional(),
  })
  .strict()
  .refine(
    (g) => (g.event === undefined) !== (g.page === undefined),
    "a goal has either event or page, not both",
  );

const cidr = z
  .string()
  .regex(/^[0-9a-f:.]+(\/\d{1,3})?$/i, "a trusted proxy is an address or a CIDR block such as 10.0.0.0/8");

const formatText = z.string().min(1).max(8192);

/**
 * One entry of `formats` (parse/choose.ts): which inputs it is for (`match`, `prefix`, `site`: at least one) and
 * exactly one format. The format is compiled here, so a format that cannot work stops the command before anything
 * is read, with the compiler's message under the entry's path.
 */
const configuredFormat = z
  .object({
    match: z.string().min(1).max(1024).optional(),
    prefix: z.string().min(1).max(1024).optional(),
    site: siteName.optional(),
    format: z.enum(LOG_FORMATS).optional(),
    nginx: formatText.optional(),
    variables: z
      .array(z.string().regex(/^[A-Za-z0-9_]{1,64}$/, "an nginx variable name without $"))
      .optional(),
    apache: formatText.optional(),
    goaccess: formatText.optional(),
    dateFormat: z.string().min(1).max(256).optional(),
    timeFormat: z.string().min(1).max(256).optional(),
    datetimeFormat: z.string().min(1).max(256).optional(),
  })
  .strict()
  .superRefine((entry, ctx) => {
    if (entry.match === undefined && entry.prefix === undefined && entry.site === undefined) {
      ctx.addIssue({
        code: "custom",
        message:
          "say which inputs this format is for: match (a glob), prefix (of a path or object key) or site",
      });
    }
    const named = (["format", "nginx", "apache", "goaccess"] as const).filter((k) => entry[k] !== undefined);
    if (named.length !== 1) {
      ctx.addIssue({
        code: "custom",
        message:
          named.length === 0
            ? "name one format: format (a built-in name), nginx, apache or goaccess"
            : `name one format, not ${named.join(" and ")}`,
      });
      return;
    }
    if (entry.variables !== undefined && entry.nginx === undefined) {
      ctx.addIssue({ code: "custom", path: ["variables"], message: "variables belong to an nginx format" });
    }
    for (const key of ["dateFormat", "timeFormat", "datetimeFormat"] as const) {
      if (entry[key] !== undefined && entry.goaccess === undefined) {
        ctx.addIssue({ code: "custom", path: [key], message: `${key} belongs to a goaccess format` });
      }
    }
    const spec = specOf(entry);
    if (spec === null) return;
    try {
      compileFormatSpec(spec);
    } catch (error) {
      if (!(error instanceof FormatError)) throw error;
      ctx.addIssue({ code: "custom", path: [named[0] as string], message: error.message });
    }
  });

export const configSchema = z
  .object({
    /**
     * The site domains logsieve serves. An event's site is always one of them: a log line whose host is not one of
     * them (nor an alias, nor `www.` + one of them) is kept in security/ only, counted as `unknown_site`; the
     * collector refuses such events. Empty: no host is ever taken from the input, every log line counts for the
     * default site (docs/PRIVACY.md, "Sites").
     */
    sites: z.array(siteName).default([]),
    /** Site name for log lines whose format has no host (common, combined). Defaults to the first site. */
    defaultSite: siteName.optional(),
    /** Per site: other host names that mean it, and scrubbing exceptions of its own. Keys must be in `sites`. */
    siteSettings: z
      .record(
        z.string(),
        z
          .object({
            /** Host names that count as this site (`example.de`, `shop.example.com`). */
            aliases: z.array(siteName).default([]),
            /** Umami website ids (`data-website-id` of Umami's script) whose events count for this site. */
            umamiWebsiteIds: z
              .array(
                z
                  .string()
                  .regex(
                    /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i,
                    "an Umami website id is a UUID such as 4fb7fa4c-5b46-438d-94b3-3a8fb9bc2e8b",
                  )
                  .transform((id) => id.toLowerCase()),
              )
              .default([]),
            ...scrubExceptions,
            /**
             * Custom event properties kept for this site (at most four names): any other property a tracker sends is
             * dropped and counted. Values are masked like free text and cut at 200 characters.
             */
            eventProperties: z
              .array(propertyKey)
              .max(EVENT_PROP_SLOTS, `at most ${EVENT_PROP_SLOTS} properties per site`)
              .default([]),
            /** Goals (conversions): an event name or a page pattern each, with a name unique in the site. */
            goals: z.array(goal).max(MAX_GOALS_PER_SITE).default([]),
          })
          .strict(),
      )
      .default({}),
    anonymize: z
      .object({
        ipv4Prefix: z.number().int().min(0).max(32).default(24),
        ipv6Prefix: z.number().int().min(0).max(128).default(48),
      })
      .strict()
      .default({ ipv4Prefix: 24, ipv6Prefix: 48 }),
    /** Proxies whose X-Forwarded-For is believed. Empty: the header is never used. */
    trustedProxies: z.array(cidr).default([]),
    consent: z
      .object({
        /** Tier for server log lines, which read nothing from the visitor's device. */
        logDefaultTier: z.enum(["drop", "anonymous", "statistics", "marketing"]).default("statistics"),
        honorDnt: z.boolean().default(true),
        honorGpc: z.boolean().default(true),
        /** What a collector event without consent becomes. */
        withoutConsent: z.enum(["anonymous", "drop"]).default("anonymous"),
      })
      .strict()
      .default({ logDefaultTier: "statistics", honorDnt: true, honorGpc: true, withoutConsent: "anonymous" }),
    /** Scrubbing exceptions for every site (docs/PRIVACY.md, "The scrub policy"). */
    scrub: z.object(scrubExceptions).strict().default({ allowedQueryParams: [], allowedPaths: [] }),
    geo: z
      .object({
        /** A MaxMind-format country database replacing the bundled one. */
        countryDb: z.string().min(1).optional(),
        /** A MaxMind-format ASN database (GeoLite2-ASN layout) replacing the bundled AS database for `provider`. */
        asnDb: z.string().min(1).optional(),
        /** Fill `provider` (the AS organisation) in the security zone: from `asnDb`, else the bundled database. */
        provider: z.boolean().default(true),
      })
      .strict()
      .default({ provider: true }),
    /** Referrer spam (docs/PRIVACY.md, "Referrer spam"): visits whose referrer is a listed host never reach analytics. */
    referrerSpam: z
      .object({
        /** Filter with the shipped list (functions/core/spam/referrer-spam-list.ts) and the hosts below. */
        enabled: z.boolean().default(true),
        /** Hosts of your own to treat as spam (each matches its subdomains too). */
        extraHosts: z.array(siteName).default([]),
      })
      .strict()
      .default({ enabled: true, extraHosts: [] }),
    retention: z
      .object({
        incomingHours: z.number().int().positive().default(HOURS_IN_7_DAYS),
        securityHours: z.number().int().positive().default(HOURS_IN_7_DAYS),
        rejectsHours: z.number().int().positive().default(HOURS_IN_7_DAYS),
        eventsDays: z.number().int().positive().default(90),
        statsMonths: z.number().int().positive().default(25),
        saltHours: z.number().int().positive().max(48).default(48),
        /** Raw logs beyond seven days need a documented reason; set this to allow it. */
        allowRawBeyond7Days: z.boolean().default(false),
      })
      .strict()
      .default({
        incomingHours: HOURS_IN_7_DAYS,
        securityHours: HOURS_IN_7_DAYS,
        rejectsHours: HOURS_IN_7_DAYS,
        eventsDays: 90,
        statsMonths: 25,
        saltHours: 48,
        allowRawBeyond7Days: false,
      }),
    /** Rows describing fewer than k visitors are folded into "(other)" wherever people look. */
    k: z.number().int().min(2).default(5),
    /** Formats per file pattern, object key prefix or site (parse/choose.ts); the first that applies wins. */
    formats: z.array(configuredFormat).max(1000).default([]),
    ingest: z
      .object({
        /** Longer lines are rejected as `line_too_long` (the rest of the line is skipped, not buffered). */
        maxLineBytes: z
          .number()
          .int()
          .min(1024)
          .max(16 * 1024 * 1024)
          .default(1024 * 1024),
        /** Rows per Parquet object and partition before a new part is started. */
        rowsPerPart: z.number().int().min(1000).default(200_000),
      })
      .strict()
      .default({ maxLineBytes: 1024 * 1024, rowsPerPart: 200_000 }),
  })
  .strict()
  .superRefine((c, ctx) => {
    checkSites(c, ctx);
    if (c.retention.allowRawBeyond7Days) return;
    for (const key of ["incomingHours", "securityHours", "rejectsHours"] as const) {
      if (c.retention[key] > HOURS_IN_7_DAYS) {
        ctx.addIssue({
          code: "custom",
          path: ["retention", key],
          message: `raw logs are kept at most ${HOURS_IN_7_DAYS} hours (7 days); set retention.allowRawBeyond7Days to true only with a documented reason`,
        });
      }
    }
  });

type ParsedShape = {
  sites: string[];
  defaultSite?: string | undefined;
  siteSettings: Record<
    string,
    { aliases: string[]; umamiWebsiteIds: string[]; eventProperties: string[]; goals: { name: string }[] }
  >;
};

/** Sites, the default site and aliases name each host once, and every per-site setting belongs to a site. */
function checkSites(c: ParsedShape, ctx: z.RefinementCtx): void {
  const sites = new Set(c.sites);
  if (c.defaultSite !== undefined && c.sites.length > 0 && !sites.has(c.defaultSite)) {
    ctx.addIssue({
      code: "custom",
      path: ["defaultSite"],
      message: `the default site must be one of sites (${c.sites.join(", ")})`,
    });
  }
  const owner = new Map<string, string>();
  const websiteOwner = new Map<string, string>();
  for (const [site, settings] of Object.entries(c.siteSettings)) {
    if (!sites.has(site)) {
      ctx.addIssue({
        code: "custom",
        path: ["siteSettings", site],
        message: "settings for a site that is not in sites (site names are lower-case host names)",
      });
    }
    settings.aliases.forEach((alias, i) => {
      const taken = sites.has(alias) ? alias : owner.get(alias);
      if (taken !== undefined) {
        ctx.addIssue({
          code: "custom",
          path: ["siteSettings", site, "aliases", i],
          message: `${alias} already names the site ${taken}`,
        });
      }
      owner.set(alias, site);
    });
    const names = new Set<string>();
    settings.goals.forEach((g, i) => {
      if (names.has(g.name)) {
        ctx.addIssue({
          code: "custom",
          path: ["siteSettings", site, "goals", i, "name"],
          message: `the goal name ${g.name} is used twice`,
        });
      }
      names.add(g.name);
    });
    if (new Set(settings.eventProperties).size !== settings.eventProperties.length) {
      ctx.addIssue({
        code: "custom",
        path: ["siteSettings", site, "eventProperties"],
        message: "a property is listed twice",
      });
    }
    settings.umamiWebsiteIds.forEach((id, i) => {
      const taken = websiteOwner.get(id);
      if (taken !== undefined) {
        ctx.addIssue({
          code: "custom",
          path: ["siteSettings", site, "umamiWebsiteIds", i],
          message: `this Umami website id already names the site ${taken}`,
        });
      }
      websiteOwner.set(id, site);
    });
  }
}

export type LogsieveConfig = z.output<typeof configSchema>;
export type LogsieveConfigInput = z.input<typeof configSchema>;

export class ConfigError extends Error {
  constructor(
    message: string,
    readonly problems: readonly string[],
  ) {
    super(message);
    this.name = "ConfigError";
  }
}

/** Validates raw configuration; throws a {@link ConfigError} listing each bad setting by its path. */
export function parseConfig(raw: unknown, origin = "configuration"): LogsieveConfig {
  const result = configSchema.safeParse(raw ?? {});
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const path = issue.path.length > 0 ? issue.path.join(".") : "(top level)";
    return `${path}: ${issue.message}`;
  });
  throw new ConfigError(`invalid ${origin}:\n  ${problems.join("\n  ")}`, problems);
}

/** The site a log line belongs to: its own host if it is one of ours, else the default. */
export function defaultSiteOf(config: Pick<LogsieveConfig, "defaultSite" | "sites">): string {
  return config.defaultSite ?? config.sites[0] ?? "default";
}
