#!/usr/bin/env node
// The storeflow command. Node keeps the compiled code of the modules it loads between runs (in the system's temporary
// folder, or NODE_COMPILE_CACHE; NODE_DISABLE_COMPILE_CACHE=1 turns it off): a command starts in about half the time.
// It must be on before those modules load, so they are imported only afterwards.
import { enableCompileCache } from "node:module"

enableCompileCache()
const { main } = await import("./cli/main.ts")
await main()
