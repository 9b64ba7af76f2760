import { checkIncidentId, IncidentIdError } from "../hold/manifest.ts";
import { type HoldSelection, parseSelection, SelectionError } from "../hold/selection.ts";
import { DashboardRequestError } from "./request.ts";

/**
 * "Place on legal hold" from the security view: the body of `POST /api/dashboard/holds`, checked before the
 * legal-hold core (core/hold/holds.ts) copies anything. The page sends one address (the one whose timeline is
 * open), an optional time window, an incident id and a reason. Errors name the field, never its value.
 */

export interface HoldRequestBody {
  readonly incident: string;
  readonly selection: HoldSelection;
  readonly reason: string;
}

/** The largest body accepted (an incident id, an address, two times and a reason of at most 2000 characters). */
export const MAX_HOLD_BODY_BYTES = 8 * 1024;

const FIELDS = new Set(["incident", "ip", "from", "to", "reason"]);

function bad(message: string): DashboardRequestError {
  return new DashboardRequestError(400, "bad_hold_request", message);
}

function optionalText(body: Record<string, unknown>, name: string): string | undefined {
  const value = body[name];
  if (value === undefined || value === null || value === "") return undefined;
  if (typeof value !== "string") throw bad(`${name} must be text`);
  return value;
}

export function parseHoldRequest(text: string): HoldRequestBody {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw bad("the body must be a JSON object");
  }
  if (typeof body !== "object" || body === null || Array.isArray(body))
    throw bad("the body must be a JSON object");
  const record = body as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (!FIELDS.has(key)) throw bad(`unknown field; the fields are: ${[...FIELDS].join(", ")}`);
  }
  const incident = optionalText(record, "incident");
  if (incident === undefined) throw bad("incident is required (e.g. INC-2026-001)");
  try {
    checkIncidentId(incident);
  } catch (error) {
    if (error instanceof IncidentIdError) throw bad(`incident: ${error.message}`);
    throw error;
  }
  const reason = optionalText(record, "reason")?.trim();
  if (reason === undefined || reason === "")
    throw bad("reason is required: say why (a ticket, the incident)");
  if (reason.length > 2000) throw bad("reason is longer than 2000 characters");
  const ip = optionalText(record, "ip");
  if (ip === undefined) throw bad("ip is required: the address to keep as evidence");
  const from = optionalText(record, "from");
  const to = optionalText(record, "to");
  let selection: HoldSelection;
  try {
    selection = parseSelection({
      ip,
      ...(from === undefined ? {} : { from }),
      ...(to === undefined ? {} : { to }),
    });
  } catch (error) {
    // The selection's messages name command-line options (--ip, --from); the form's fields have no dashes.
    if (error instanceof SelectionError) throw bad(error.message.replace(/--(ip|prefix|from|to)\b/g, "$1"));
    throw error;
  }
  return { incident, selection, reason };
}
