/** The source table and tenant of the ETL benchmark. */

export const TABLE = "retail_items"
/** The smaller run's table: the first rows of the big one, same types and constraints. */
export const SMALL_TABLE = "retail_items_small"
export const PIPELINE = "items"
export const BUCKET = "storeflow-bench"
/** The V8 flag of one informative extra run: a young generation of 2 × 16 MiB instead of 2 × 64 MiB. */
export const SMALL_YOUNG_GENERATION = "--max-semi-space-size=16"

export const createTable = `
  CREATE TABLE ${TABLE} (
    id int8 PRIMARY KEY,
    article_id text NOT NULL,
    name text NOT NULL,
    sale_price numeric(12,2),
    list_price numeric(12,2) NOT NULL,
    category text NOT NULL,
    barcode text,
    stock int4 NOT NULL,
    store text NOT NULL,
    updated_at timestamp NOT NULL
  )`

/**
 * `rows` items in one INSERT … SELECT: Korean retail names (brand, product, size), list prices in whole won with some
 * half-won sale prices, one row in 10 without a sale price and one in 25 without a barcode, 50 stores, change times
 * with microseconds spread over 30 days.
 */
export const insertRows = (rows: number) => `
  INSERT INTO ${TABLE}
  SELECT
    g,
    'A' || lpad(g::text, 9, '0'),
    (ARRAY['서울우유', '농심', '오뚜기', 'CJ', '풀무원', '빙그레', '롯데', '해태', '동원', '삼양'])[1 + g % 10]
      || ' ' || (ARRAY['흰우유', '신라면', '참치', '두부', '바나나맛우유', '초코파이', '맛동산', '햇반', '포기김치', '생수',
        '요구르트', '식용유'])[1 + (g / 10) % 12]
      || ' ' || (ARRAY['1L', '500ml', '120g', '5입', '2kg', '1.8L'])[1 + (g / 120) % 6],
    CASE WHEN g % 10 = 0 THEN NULL
      ELSE ((500 + (g * 37) % 29500) / 10 * 9 + CASE WHEN g % 7 = 0 THEN 0.5 ELSE 0 END)::numeric(12,2) END,
    ((500 + (g * 37) % 29500) / 10 * 10)::numeric(12,2),
    (ARRAY['유제품', '라면', '통조림', '두부/콩', '음료', '과자', '즉석밥', '김치', '생수', '조미료'])[1 + (g / 7) % 10],
    CASE WHEN g % 25 = 0 THEN NULL ELSE '880' || lpad((g::bigint * 7919 % 10000000000)::text, 10, '0') END,
    (g * 13) % 500,
    'S' || lpad((g % 50 + 1)::text, 3, '0'),
    timestamp '2026-10-01 00:00:00' + (g::bigint * 1296001 % 2592000000000) * interval '1 microsecond'
  FROM generate_series(1, ${rows}) AS g`

/** The smaller table: the first `rows` rows of the big one. */
export const createSmallTable = (rows: number) => [
  `CREATE TABLE ${SMALL_TABLE} (LIKE ${TABLE} INCLUDING ALL)`,
  `INSERT INTO ${SMALL_TABLE} SELECT * FROM ${TABLE} WHERE id <= ${rows}`
]

/**
 * One tenant per table, each a non-partitioned pipeline (`master_sync_job`): extract only (no transfer, no load) to
 * the S3-compatible server, under its own prefix.
 */
export const tenantYaml = (id: string, table: string) => `
id: ${id}
name: Benchmark Retail (${table})
timezone: Asia/Seoul
source:
  url: \${BENCH_SOURCE_DB_URL}
  sslmode: disable
object_store:
  type: s3
  bucket: ${BUCKET}
  prefix: ${id}
  endpoint: \${BENCH_S3_ENDPOINT}
  force_path_style: true
  access_key_id: S3RVER
  secret_access_key: S3RVER
warehouse:
  type: none
pipelines:
  - name: ${PIPELINE}
    source:
      table: ${table}
`
