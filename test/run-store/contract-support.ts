import { randomUUID } from "node:crypto"

// Tests share one store per block, so each works in its own tenant / lock names.
export const unique = (prefix: string): string => `${prefix}-${randomUUID()}`
