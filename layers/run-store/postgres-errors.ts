import { Effect, Schema } from "effect"
import { SqlError } from "effect/sql"
import { RunStoreError } from "../../src/services/RunStore.ts"

/** The driver's message for a failed statement or connection, without the connection URL. */
export const describeSqlError = (error: SqlError.SqlError): string => {
  const reason = error.reason
  const message = (reason.message ?? reason._tag).replace(/^PgConnection: /, "")
  const inner = reason.cause instanceof Error ? reason.cause.message : undefined
  return inner !== undefined && inner !== "" && !message.includes(inner) ? `${message}: ${inner}` : message
}

type DriverError = SqlError.SqlError | Schema.SchemaError

const isDriverError = (error: unknown): error is DriverError =>
  SqlError.isSqlError(error) || Schema.isSchemaError(error)

/** Maps the driver's failures to a `RunStoreError` naming the `RunStore` method; other errors pass through. */
export const storeError =
  (operation: string) =>
  <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, Exclude<E, DriverError> | RunStoreError, R> =>
    Effect.mapError(self, (error) =>
      isDriverError(error)
        ? new RunStoreError({
            operation,
            detail: SqlError.isSqlError(error) ? describeSqlError(error) : `unexpected row: ${error.message}`,
            cause: error
          })
        : // Not a driver error, so it is one of the method's own (`RunNotFound`, a `RunStoreError`).
          (error as Exclude<E, DriverError>)
    )
