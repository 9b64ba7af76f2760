import { z } from "zod";
import { ConfigError } from "../config.ts";

/**
 * The collector's own settings, beside the operator's configuration (which gives the sites, the trusted proxies,
 * the prefixes and the consent policy). Every setting has a default, so `{}` is valid. the collect room (apps/collect/) reads them from
 * `logsieve serve` options locally and from the environment on AWS.
 */
export const collectorSettingsSchema = z
  .object({
    /** Largest request body read, in bytes; a larger one is answered 413. */
    maxBodyBytes: z
      .number()
      .int()
      .min(512)
      .max(1024 * 1024)
      .default(8 * 1024),
    /** Longest query string read, in bytes; a longer one is answered 414. */
    maxQueryBytes: z
      .number()
      .int()
      .min(512)
      .max(64 * 1024)
      .default(8 * 1024),
    /** Most events in one Matomo bulk request. */
    maxBulkEvents: z.number().int().min(1).max(1000).default(50),
    rateLimit: z
      .object({
        /** Events per second each site may send, sustained (per process: each Lambda instance has its own). */
        perSecond: z.number().positive().max(1_000_000).default(200),
        /** Events a site may send at once after a quiet spell (the bucket's size). */
        burst: z.number().int().min(1).max(10_000_000).default(1000),
      })
      .strict()
      .default({ perSecond: 200, burst: 1000 }),
    /**
     * A request header carrying the viewer's address, believed only when the peer is one of the configuration's
     * trusted proxies: behind CloudFront `cloudfront-viewer-address` (`ip:port`, which CloudFront overwrites).
     * Null: the peer address, and X-Forwarded-For only from trusted proxies.
     */
    clientAddressHeader: z
      .string()
      .regex(/^[a-z0-9-]{1,64}$/, "a lower-case header name such as cloudfront-viewer-address")
      .nullable()
      .default(null),
  })
  .strict();

export type CollectorSettings = z.output<typeof collectorSettingsSchema>;
export type CollectorSettingsInput = z.input<typeof collectorSettingsSchema>;

export const DEFAULT_COLLECTOR_SETTINGS: CollectorSettings = collectorSettingsSchema.parse({});

/** Validates collector settings; throws a {@link ConfigError} naming each bad setting. */
export function parseCollectorSettings(raw: unknown, origin = "collector settings"): CollectorSettings {
  const result = collectorSettingsSchema.safeParse(raw ?? {});
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const path = issue.path.length > 0 ? `collector.${issue.path.join(".")}` : "collector";
    return `${path}: ${issue.message}`;
  });
  throw new ConfigError(`invalid ${origin}:\n  ${problems.join("\n  ")}`, problems);
}
