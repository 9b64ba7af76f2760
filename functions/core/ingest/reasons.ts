/**
 * Every way a line can end in the ingest pipeline other than as an anonymized event, with why. The sets are
 * closed: a step can only name a reason listed here, and the summary counts lines by them.
 *
 * - skipped:  not a record and not an error; counted apart, written nowhere.
 * - rejected: the line cannot be read as an access; written to `rejects/` (security only, 7 days) with its reason.
 * - dropped:  the line is an access and is in `security/`, but is kept out of analytics: by consent, because its
 *             site is not one of the configured sites, or because its referrer is spam; counted by reason.
 *
 * Consent reasons are shared with the collector (an event's `consent_reason` column holds them too); the ones that
 * can end in a drop are marked.
 */

export const SKIP_REASONS = {
  blank: "an empty line or one of spaces and tabs: kept only so line numbers match an editor's",
  directive: "a W3C header line (#Version, #Fields): it describes the lines that follow, it is not an access",
} as const;
export type SkipReason = keyof typeof SKIP_REASONS;

export const REJECT_REASONS = {
  malformed: "the line does not match the format's grammar",
  bad_timestamp: "the time does not parse or is out of range: the line cannot be placed in a day",
  bad_client_ip: "the client address is not a strict IPv4 or IPv6 address: nothing to truncate or to count",
  bad_status: "the status is not a 3-digit HTTP code",
  bad_number: "bytes or duration is not a non-negative number",
  bad_json: "a JSON line that does not parse or is not an object",
  missing_field: "a required field (time, client, request) is absent",
  field_count: "a W3C or ALB line with the wrong number of fields: its columns cannot be trusted",
  no_fields_header: "a W3C data line before any #Fields directive: its columns are unknown",
  line_too_long: "longer than ingest.maxLineBytes: only its head is kept, the rest is skipped unread",
  unknown_format: "detection placed the input in no supported format (pass --format)",
} as const;
export type RejectReason = keyof typeof REJECT_REASONS;

export const CONSENT_REASONS = {
  gpc: "drop: Global Privacy Control, honoured as an objection (consent.honorGpc)",
  dnt: "drop: Do-Not-Track, honoured as an objection (consent.honorDnt)",
  denied: "drop or anonymous (consent.withoutConsent): the banner said no to statistics",
  no_consent_drop: "drop: no consent given and the site drops unconsented events (consent.withoutConsent)",
  no_consent_anonymous: "anonymous: no consent given, counted without any identifier",
  log_default: "a server log line, which says nothing about consent: consent.logDefaultTier (drop possible)",
  granted_statistics: "the banner granted statistics",
  granted_marketing: "the banner granted marketing",
} as const;
export type ConsentReason = keyof typeof CONSENT_REASONS;

export const SITE_REASONS = {
  unknown_site:
    "the line's host (or the forced site) is none of the configured sites and aliases: the line stays in security/ only, so a Host header never becomes a site in events/ or stats/",
} as const;
export type SiteReason = keyof typeof SITE_REASONS;

export const SPAM_REASONS = {
  spam_referrer:
    "the referrer's host is on the referrer spam list (or a subdomain of a listed host): the line stays in security/ only, so a spammer's host never reaches events/ or the referrer tables",
} as const;
export type SpamReason = keyof typeof SPAM_REASONS;

/** Why an accepted line has no event: consent, its site, or referrer spam. */
export type DropReason = ConsentReason | SiteReason | SpamReason;
