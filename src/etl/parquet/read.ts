// The ETL stages read extracted files back with the in-memory warehouse's reader, which already maps every Parquet
// type the encoder writes back to canonical values.
export { readParquetRows } from "../../../layers/warehouse/parquet.ts"
