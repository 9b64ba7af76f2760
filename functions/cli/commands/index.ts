import type { Command } from "commander";
import { registerAbuseCommand } from "./abuse.ts";
import { registerAggregateCommand } from "./aggregate.ts";
import { registerDemoCommand } from "./demo.ts";
import { registerExpireCommand } from "./expire.ts";
import { registerHoldCommand } from "./hold.ts";
import { registerIngestCommand } from "./ingest.ts";
import { registerPolicyCommand } from "./policy.ts";
import { registerQueryCommand } from "./query.ts";
import { registerServeCommand } from "./serve.ts";

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
}
