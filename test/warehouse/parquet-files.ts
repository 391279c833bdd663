import type { SchemaElement } from "hyparquet"
import { parquetWriteBuffer } from "hyparquet-writer"

export interface Field {
  /** Written OPTIONAL unless the element says otherwise. */
  readonly element: SchemaElement
  readonly data: ReadonlyArray<unknown>
}

/** A Parquet file with exactly these columns, typed by hand (hyparquet-writer refuses a schema plus column types). */
export const parquetFile = (fields: ReadonlyArray<Field>): Uint8Array =>
  new Uint8Array(
    parquetWriteBuffer({
      columnData: fields.map((field) => ({ name: field.element.name, data: [...field.data] })),
      schema: [
        { name: "root", num_children: fields.length },
        ...fields.map((field): SchemaElement => ({ repetition_type: "OPTIONAL", ...field.element }))
      ]
    })
  )

export const int64 = (name: string, data: ReadonlyArray<bigint | null>): Field => ({
  element: { name, type: "INT64", repetition_type: "REQUIRED" },
  data
})

export const utf8 = (name: string, data: ReadonlyArray<string | null>): Field => ({
  element: { name, type: "BYTE_ARRAY", converted_type: "UTF8" },
  data
})

/** DECIMAL the way the extractor writes it: unscaled bigints in an INT64 with precision and scale. */
export const decimal = (name: string, scale: number, unscaled: ReadonlyArray<bigint | null>): Field => ({
  element: { name, type: "INT64", converted_type: "DECIMAL", precision: 18, scale },
  data: unscaled
})

export const timestampMicros = (name: string, micros: ReadonlyArray<bigint | null>, utc = false): Field => ({
  element: { name, type: "INT64", logical_type: { type: "TIMESTAMP", isAdjustedToUTC: utc, unit: "MICROS" } },
  data: micros
})
