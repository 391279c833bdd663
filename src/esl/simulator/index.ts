export { type ActiveFault, seededRandom } from "./faults.ts"
export { type FaultKind, FaultRule, parseCompanies, SimRoute, SimulatorOptions } from "./options.ts"
export { type Simulator, SimulatorError, startSimulator } from "./server.ts"
export type { BatchRecord, RouteStats, SimArticle, SimStats, ValidationLogEntry } from "./state.ts"
