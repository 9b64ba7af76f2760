import { z } from "zod";

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

const cidr = z
  .string()
  .regex(/^[0-9a-f:.]+(\/\d{1,3})?$/i, "a trusted proxy is an address or a CIDR block such as 10.0.0.0/8");

export const configSchema = z
  .object({
    /** The site domains logsieve serves; events for other sites are refused by the collector. */
    sites: z.array(siteName).default([]),
    /** Site name for log lines whose format has no host (common, combined). Defaults to the first site. */
    defaultSite: siteName.optional(),
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
    scrub: z
      .object({
        /** Query parameters kept besides `utm_*` (and click ids in the marketing tier). */
        allowedQueryParams: z
          .array(
            z
              .string()
              .min(1)
              .max(64)
              .regex(/^[A-Za-z0-9_.[\]-]+$/, "a query parameter name: letters, digits and _ . - [ ] only"),
          )
          .default([]),
      })
      .strict()
      .default({ allowedQueryParams: [] }),
    geo: z
      .object({
        /** A MaxMind-format country database replacing the bundled one. */
        countryDb: z.string().min(1).optional(),
        /** A MaxMind-format ASN database (GeoLite2-ASN layout) to fill `provider`. */
        asnDb: z.string().min(1).optional(),
      })
      .strict()
      .default({}),
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
export function defaultSiteOf(config: LogsieveConfig): string {
  return config.defaultSite ?? config.sites[0] ?? "default";
}
