import { constants, zstdCompressSync } from "node:zlib"
import type { ColumnChunk, Encoding, Statistics } from "hyparquet"
import type { ColumnBuffer } from "./buffer.ts"
import { ByteSink, PLAIN, RLE_DICTIONARY, writeDataPageHeader, writeDictionaryPageHeader, writeHybrid } from "./sink.ts"
import { snappyCompress } from "./snappy.ts"

export type Compression = "SNAPPY" | "UNCOMPRESSED" | "ZSTD"

/** Uncompressed bytes per data page: Parquet's customary 1 MiB, small enough for readers to stream. */
const PAGE_BYTES = 1 << 20

const ZSTD_LEVEL = 3

/** Writes column chunks (dictionary page, data pages v1) of a row group; reuses its page buffers across chunks. */
export class ChunkWriter {
  private readonly compression: Compression
  private readonly page = new ByteSink(PAGE_BYTES + (PAGE_BYTES >>> 2))
  private readonly values = new ByteSink(PAGE_BYTES + (PAGE_BYTES >>> 2))
  private readonly compressed = new ByteSink(PAGE_BYTES + (PAGE_BYTES >>> 2))

  constructor(compression: Compression) {
    this.compression = compression
  }

  /** Appends the chunk of `column` to `out`, whose first byte is at `fileOffset` in the file. */
  write(column: ColumnBuffer, out: ByteSink, fileOffset: number): { chunk: ColumnChunk; uncompressed: number } {
    const start = out.length
    let uncompressed = 0
    const dictionary = column.dictionary()
    const encodings: Array<Encoding> = ["PLAIN"]
    if (column.nullable) encodings.push("RLE")
    if (dictionary !== undefined) {
      encodings.push("RLE_DICTIONARY")
      this.page.reset()
      dictionary.write(this.page)
      uncompressed += this.emit(out, (sink, size, stored) =>
        writeDictionaryPageHeader(sink, size, stored, dictionary.entries)
      )
    }
    const dataOffset = fileOffset + out.length
    const bitWidth = dictionary === undefined ? 0 : Math.max(1, Math.ceil(Math.log2(dictionary.entries)))
    const defined = column.defined
    let row = 0
    let value = 0
    do {
      this.values.reset()
      let written = 0
      if (dictionary !== undefined) {
        written = Math.min(column.values - value, Math.floor((PAGE_BYTES * 8) / bitWidth))
        this.values.byte(bitWidth)
        writeHybrid(this.values, dictionary.indexes, value, value + written, bitWidth)
      } else if (value < column.values) {
        written = column.writeValues(this.values, value, PAGE_BYTES)
      }
      // The page holds whole rows: its values, and the NULLs up to the next value.
      let end = row
      if (column.values === column.rows) {
        end = row + written
      } else {
        let seen = 0
        while (end < column.rows && (seen < written || defined[end] === 0)) seen += defined[end++] as number
      }
      this.page.reset()
      if (column.nullable) {
        this.page.uint32(0)
        writeHybrid(this.page, defined, row, end, 1)
        const levels = this.page.length - 4
        this.page.bytes.set([levels & 0xff, (levels >>> 8) & 0xff, (levels >>> 16) & 0xff, levels >>> 24], 0)
      }
      this.page.append(this.values.view())
      const rows = end - row
      const encoding = dictionary === undefined ? PLAIN : RLE_DICTIONARY
      uncompressed += this.emit(out, (sink, size, stored) => writeDataPageHeader(sink, size, stored, rows, encoding))
      row = end
      value += written
    } while (row < column.rows)

    const bounds = column.bounds()
    const statistics: Statistics = { null_count: BigInt(column.rows - column.values) }
    if (bounds !== undefined) {
      statistics.min_value = bounds.min
      statistics.max_value = bounds.max
    }
    const chunk: ColumnChunk = {
      file_offset: BigInt(fileOffset + start),
      meta_data: {
        type: column.element.type ?? "BYTE_ARRAY",
        encodings,
        path_in_schema: [column.name],
        codec: this.compression,
        num_values: BigInt(column.rows),
        total_uncompressed_size: BigInt(uncompressed),
        total_compressed_size: BigInt(out.length - start),
        data_page_offset: BigInt(dataOffset),
        ...(dictionary === undefined ? {} : { dictionary_page_offset: BigInt(fileOffset + start) }),
        statistics
      }
    }
    return { chunk, uncompressed }
  }

  /** Compresses `this.page` and appends header and body to `out`; returns the uncompressed size with header. */
  private emit(
    out: ByteSink,
    header: (sink: ByteSink, uncompressedSize: number, compressedSize: number) => void
  ): number {
    const page = this.page.view()
    let body: Uint8Array = page
    if (this.compression === "SNAPPY") {
      this.compressed.reset()
      snappyCompress(page, this.compressed)
      body = this.compressed.view()
    } else if (this.compression === "ZSTD") {
      body = zstdCompressSync(page, { params: { [constants.ZSTD_c_compressionLevel]: ZSTD_LEVEL } })
    }
    const headerStart = out.length
    header(out, page.length, body.length)
    const headerSize = out.length - headerStart
    out.append(body)
    return headerSize + page.length
  }
}
