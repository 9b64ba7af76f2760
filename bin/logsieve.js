#!/usr/bin/env node
// The `logsieve` command. Runs the TypeScript sources through tsx's loader, so there is no build step
// between editing the code and running it; Lambda bundles are built separately with esbuild.
import { register } from "tsx/esm/api";

register();
await import("../functions/cli/main.ts");
