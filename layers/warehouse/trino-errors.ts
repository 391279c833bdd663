import type { ObjectStoreError } from "../../src/services/ObjectStore.ts"
import { WarehouseError } from "../../src/services/Warehouse.ts"
import type { TrinoFailure } from "./trino-client.ts"

// Things the caller named that are not there. COLUMN_NOT_FOUND too: a partition filter on a missing column is
// `NotFound` in the in-memory warehouse as well.
const notFound: ReadonlySet<string> = new Set(["TABLE_NOT_FOUND", "SCHEMA_NOT_FOUND", "COLUMN_NOT_FOUND"])

/**
 * INSUFFICIENT_RESOURCES and EXTERNAL (metastore, object store, Iceberg commit conflicts) pass, and so do
 * INTERNAL_ERROR ones: Trino uses that type for lost workers, shutdowns and "no nodes available". USER_ERROR is
 * the statement's own fault and is reported with Trino's message.
 */
export const reasonOf = (failure: TrinoFailure): WarehouseError["reason"] => {
  switch (failure.kind) {
    case "Transport":
    case "Timeout":
    case "Protocol":
      return "Unavailable"
    case "Http":
      return failure.status !== undefined && (failure.status >= 500 || failure.status === 429)
        ? "Unavailable"
        : "QueryFailed"
    case "Query":
      if (failure.errorName !== undefined && notFound.has(failure.errorName)) return "NotFound"
      return failure.errorType === "INSUFFICIENT_RESOURCES" ||
        failure.errorType === "EXTERNAL" ||
        failure.errorType === "INTERNAL_ERROR"
        ? "Unavailable"
        : "QueryFailed"
  }
}

export const warehouseError =
  (operation: string, dataset: string) =>
  (failure: TrinoFailure): WarehouseError =>
    new WarehouseError({ operation, dataset, reason: reasonOf(failure), detail: failure.detail, cause: failure })

export const objectStoreFailure =
  (operation: string, dataset: string) =>
  (error: ObjectStoreError): WarehouseError =>
    new WarehouseError({
      operation,
      dataset,
      reason: error.retryable ? "Unavailable" : "QueryFailed",
      detail: `cannot list the files to load: ${error.message}`,
      cause: error
    })
