import type { ObjectNotFound, ObjectStoreError } from "../../src/services/ObjectStore.ts"
import { WarehouseError } from "../../src/services/Warehouse.ts"

/** A load's file could not be read from the object store: missing is `NotFound`, an outage `Unavailable`. */
export const storeFailure = (dataset: string, key: string) => (error: ObjectNotFound | ObjectStoreError) =>
  error._tag === "ObjectNotFound"
    ? new WarehouseError({
        operation: "load",
        dataset,
        reason: "NotFound",
        detail: `file ${key} does not exist in the object store`,
        cause: error
      })
    : new WarehouseError({
        operation: "load",
        dataset,
        reason: error.retryable ? "Unavailable" : "QueryFailed",
        detail: `cannot read file ${key}: ${error.message}`,
        cause: error
      })
