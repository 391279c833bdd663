import { type FileMetaData, parquetMetadata, parquetSchema, type RowGroup, type SchemaElement } from "hyparquet"
import { ByteWriter } from "hyparquet-writer"
import { writeMetadata } from "hyparquet-writer/src/metadata.js"
import { ParquetFooterError } from "./errors.ts"

/** "PAR1", which starts and ends every Parquet file. */
export const MAGIC = new Uint8Array([0x50, 0x41, 0x52, 0x31])

/**
 * `created_by` in the "<application> version <version>" form that parquet-mr based readers (Trino, Spark) parse:
 * one they cannot parse makes them distrust the min/max of string columns.
 */
const CREATED_BY = "storeflow version 0.1.0"

/** The footer: thrift FileMetaData, its length and the closing "PAR1". */
export const footerBytes = (file: {
  readonly schema: Array<SchemaElement>
  readonly rows: number
  readonly rowGroups: Array<RowGroup>
}): Uint8Array => {
  const writer = new ByteWriter(4096)
  const metadata: FileMetaData = {
    version: 2,
    schema: file.schema,
    num_rows: BigInt(file.rows),
    row_groups: file.rowGroups,
    created_by: CREATED_BY,
    metadata_length: 0 // not serialized
  }
  writeMetadata(writer, metadata)
  writer.appendBytes(MAGIC)
  return writer.getBytes()
}

const hasMagicAt = (bytes: Uint8Array, at: number): boolean =>
  at >= 0 && MAGIC.every((byte, k) => bytes[at + k] === byte)

/**
 * From a Parquet file's last 8 bytes: how many bytes at its end hold the footer (thrift metadata, its 4-byte length
 * and "PAR1"), i.e. the range to fetch for `readFooter`. Throws ParquetFooterError when they are not a footer's end.
 */
export const footerLength = (tail8: Uint8Array): number => {
  if (tail8.length < 8) throw new ParquetFooterError({ detail: `expected the last 8 bytes, got ${tail8.length}` })
  const end = tail8.length
  if (!hasMagicAt(tail8, end - 4)) throw new ParquetFooterError({ detail: 'the file does not end with "PAR1"' })
  const view = new DataView(tail8.buffer, tail8.byteOffset + end - 8, 4)
  return view.getUint32(0, true) + 8
}

export interface FooterSummary {
  readonly rows: number
  readonly rowGroups: number
  readonly columns: ReadonlyArray<string>
}

/** Parses a Parquet footer from the file's last `footerLength` bytes (more leading bytes are fine). */
export const readFooter = (tail: Uint8Array): FooterSummary => {
  const length = footerLength(tail.subarray(Math.max(0, tail.length - 8)))
  if (length > tail.length) {
    throw new ParquetFooterError({ detail: `the footer takes ${length} bytes, only ${tail.length} were given` })
  }
  // A copy in its own ArrayBuffer (a Buffer's `slice` would still share its pool), since hyparquet reads the buffer.
  const footer = new Uint8Array(length)
  footer.set(tail.subarray(tail.length - length))
  let metadata: FileMetaData
  try {
    metadata = parquetMetadata(footer.buffer)
  } catch (cause) {
    throw new ParquetFooterError({ detail: `the metadata does not parse: ${String(cause)}` })
  }
  return {
    rows: Number(metadata.num_rows),
    rowGroups: metadata.row_groups.length,
    columns: parquetSchema(metadata).children.map((child) => child.element.name)
  }
}
