import type { Command } from "commander";
import { registerAbuseCommand } from "../apps/abuse/command.ts";
import { registerAggregateCommand } from "../apps/aggregate/command.ts";
import { registerDemoCommand } from "../apps/demo/command.ts";
import { registerHoldCommand } from "../apps/hold/command.ts";
import { registerServeCommand } from "../apps/http/command.ts";
import { registerIngestCommand } from "../apps/ingest/command.ts";
import { registerKeysCommand } from "../apps/keys/command.ts";
import { registerPolicyCommand } from "../apps/policy/command.ts";
import { registerQueryCommand } from "../apps/query/command.ts";
import { registerShipCommand } from "../apps/ship/command.ts";
import { registerSmokeCommand } from "../apps/smoke/command.ts";
import { registerSpamListCommand } from "../apps/spamlist/command.ts";
import { registerExpireCommand } from "../apps/sweep/command.ts";

/** Every command module registers itself here; one import line per command file. */
export function registerCommands(program: Command): void {
  registerIngestCommand(program);
  registerDemoCommand(program);
  registerAggregateCommand(program);
  registerQueryCommand(program);
  registerServeCommand(program);
  registerExpireCommand(program);
  registerHoldCommand(program);
  registerAbuseCommand(program);
  registerPolicyCommand(program);
  registerSpamListCommand(program);
  registerKeysCommand(program);
  registerShipCommand(program);
  registerSmokeCommand(program);
}
