import type { RowGroup } from "hyparquet"
import type { Column, Row } from "../../services/SourceDb.ts"
import type { ColumnBuffer } from "./buffer.ts"
import { ChunkWriter, type Compression } from "./chunk.ts"
import {
  BigintBuffer,
  BooleanBuffer,
  DateBuffer,
  Decimal32Buffer,
  Decimal64Buffer,
  DecimalFixedBuffer,
  FloatBuffer,
  IntegerBuffer,
  TimestampBuffer,
  UuidBuffer
} from "./fixed.ts"
import { footerBytes, MAGIC } from "./footer.ts"
import { fileSchema, layoutOf } from "./schema.ts"
import { ByteSink } from "./sink.ts"
import { BytesBuffer, TextBuffer } from "./text.ts"

export interface EncoderOptions {
  /** Rows per row group (default 65_536). */
  readonly rowGroupRows?: number
  /** Flush a row group early once its estimated size reaches this many bytes (default 64 MiB). */
  readonly rowGroupBytes?: number
  /**
   * Page compression (default SNAPPY). SNAPPY is the fastest codec here, every Parquet reader has it, and it is the
   * only one besides UNCOMPRESSED that the in-memory warehouse's reader (hyparquet without extra codecs) decodes.
   * ZSTD (level 3, node:zlib) makes smaller files at a higher CPU cost; DuckDB and Trino read it.
   */
  readonly compression?: Compression
}

/** An incremental Parquet file encoder: memory holds at most one row group. Synchronous (pure CPU). */
export interface ParquetEncoder {
  /**
   * Buffers rows; returns encoded bytes ready to be written out (empty when no row group was completed). Throws
   * ParquetEncodeError for a value that does not fit its column. The file cannot be completed after that: later
   * calls throw the same error.
   */
  write(rows: ReadonlyArray<Row>): Uint8Array
  /** Flushes the last row group and writes the footer; returns the remaining bytes. */
  finish(): Uint8Array
  /** Rows written so far (buffered ones included). */
  readonly rows: number
  /** Bytes returned so far. */
  readonly bytes: number
}

const makeBuffer = (column: Column): ColumnBuffer => {
  const layout = layoutOf(column)
  switch (layout._tag) {
    case "Int32":
      return new IntegerBuffer(column, layout.bits)
    case "Int64":
      return new BigintBuffer(column)
    case "Float32":
      return new FloatBuffer(column, 4)
    case "Float64":
      return new FloatBuffer(column, 8)
    case "Boolean":
      return new BooleanBuffer(column, 1)
    case "Date":
      return new DateBuffer(column)
    case "Timestamp":
      return new TimestampBuffer(column, layout.utc)
    case "Decimal":
      if (layout.width === 4) return new Decimal32Buffer(column, layout.precision, layout.scale)
      if (layout.width === 8) return new Decimal64Buffer(column, layout.precision, layout.scale)
      return new DecimalFixedBuffer(column, layout.precision, layout.scale, layout.width)
    case "Text":
      return new TextBuffer(column, layout.decimal ? "decimal" : "string")
    case "Json":
      return new TextBuffer(column, "json")
    case "Uuid":
      return new UuidBuffer(column, 16)
    case "Bytes":
      return new BytesBuffer(column)
  }
}

/**
 * Rows appended between two checks of the row group's estimated size: at most this many, fewer as the group nears
 * rowGroupBytes (judged by the bytes per row so far), and few at first, before that is known.
 */
const SLICE_ROWS = 1024
const FIRST_SLICE_ROWS = 64
const EMPTY = new Uint8Array(0)

const positiveInteger = (name: string, value: number): number => {
  if (!Number.isSafeInteger(value) || value < 1)
    throw new RangeError(`${name} must be a positive integer, not ${value}`)
  return value
}

export const makeParquetEncoder = (columns: ReadonlyArray<Column>, options: EncoderOptions = {}): ParquetEncoder => {
  const rowGroupRows = positiveInteger("rowGroupRows", options.rowGroupRows ?? 65_536)
  const rowGroupBytes = positiveInteger("rowGroupBytes", options.rowGroupBytes ?? 64 * 1024 * 1024)
  const compression = options.compression ?? "SNAPPY"
  if (compression !== "SNAPPY" && compression !== "UNCOMPRESSED" && compression !== "ZSTD") {
    throw new RangeError(`unsupported Parquet compression ${String(compression)}`)
  }
  if (columns.length === 0 || new Set(columns.map((column) => column.name)).size !== columns.length) {
    throw new RangeError("a Parquet file needs at least one column, and column names must be unique")
  }
  const schema = fileSchema(columns)
  const buffers = columns.map(makeBuffer)
  const writer = new ChunkWriter(compression)
  const out = new ByteSink(1 << 20)
  const rowGroups: Array<RowGroup> = []
  let rows = 0
  let groupRows = 0
  let bytes = 0
  // After a failed write some columns hold more rows than others: the file cannot be completed.
  let failure: unknown
  let finished = false

  const usable = (): void => {
    if (failure !== undefined) throw failure
    if (finished) throw new Error("the Parquet encoder was already finished")
  }

  /** Runs a step that changes the buffers; if it throws, the encoder stays failed. */
  const guarded = (step: () => void): void => {
    try {
      step()
    } catch (error) {
      failure = error
      throw error
    }
  }

  const flushGroup = (): void => {
    if (bytes === 0 && out.length === 0) out.append(MAGIC)
    const groupStart = bytes + out.length
    let uncompressed = 0
    const chunks = buffers.map((buffer) => {
      const written = writer.write(buffer, out, bytes)
      uncompressed += written.uncompressed
      buffer.reset()
      return written.chunk
    })
    rowGroups.push({
      columns: chunks,
      num_rows: BigInt(groupRows),
      total_byte_size: BigInt(uncompressed),
      file_offset: BigInt(groupStart),
      total_compressed_size: BigInt(bytes + out.length - groupStart)
    })
    groupRows = 0
  }

  /** Hands out what `out` holds (a copy: `out` is reused) and counts it. */
  const drain = (): Uint8Array => {
    if (out.length === 0) return EMPTY
    const chunk = out.bytes.slice(0, out.length)
    bytes += chunk.length
    out.reset()
    return chunk
  }

  const estimatedBytes = (): number => buffers.reduce((sum, buffer) => sum + buffer.estimatedBytes(), 0)

  return {
    get rows() {
      return rows
    },
    get bytes() {
      return bytes
    },
    write(batch) {
      usable()
      guarded(() => {
        let next = 0
        let estimated = estimatedBytes()
        while (next < batch.length) {
          const room =
            groupRows === 0
              ? FIRST_SLICE_ROWS
              : Math.max(1, Math.ceil(((rowGroupBytes - estimated) * groupRows) / Math.max(1, estimated)))
          const take = Math.min(batch.length - next, rowGroupRows - groupRows, SLICE_ROWS, room)
          for (const buffer of buffers) buffer.append(batch, next, next + take, rows)
          next += take
          rows += take
          groupRows += take
          estimated = estimatedBytes()
          if (groupRows >= rowGroupRows || estimated >= rowGroupBytes) {
            flushGroup()
            estimated = 0
          }
        }
      })
      return drain()
    },
    finish() {
      usable()
      guarded(() => {
        if (groupRows > 0) flushGroup()
      })
      if (bytes === 0 && out.length === 0) out.append(MAGIC)
      out.append(footerBytes({ schema, rows, rowGroups }))
      finished = true
      return drain()
    }
  }
}
