/** The source tables and tenants of the ESL benchmark. */

export const COMPANY = "BENCH"
export const STORE_COUNT = 10
export const STORES: ReadonlyArray<string> = Array.from(
  { length: STORE_COUNT },
  (_, i) => `S${String(i + 1).padStart(2, "0")}`
)

/** The index storeflow's change detection and keyset reads can use (see tenants/_template/tenant.yaml). */
export const changeIndex = (table: string) =>
  `CREATE INDEX ${table}_esl_change ON ${table} (store_code COLLATE "C", updated_at, item_code COLLATE "C")`

/** The index a tenant is likely to have already, in the database's default collation. */
export const plainIndex = (table: string) =>
  `CREATE INDEX ${table}_plain_change ON ${table} (store_code, updated_at, item_code)`

export const createTable = (table: string) => `
  CREATE TABLE ${table} (
    item_code text NOT NULL,
    item_name text,
    sale_price numeric(12,2),
    store_code text NOT NULL,
    barcode text,
    updated_at timestamp,
    PRIMARY KEY (store_code, item_code)
  )`

/**
 * `perStore` items in each store, in one INSERT … SELECT. Rows of the stores are interleaved as they would be written
 * by price updates over a day; four rows share each change time (ties are ordered by item code). Names are Korean
 * retail names, prices numeric with some half-won values, one row in 20 has two barcodes. Change times end ten days
 * before the server's now, so every row is below the pass's change bound.
 */
export const insertRows = (table: string, perStore: number) => `
  INSERT INTO ${table} (item_code, item_name, sale_price, store_code, barcode, updated_at)
  SELECT
    lpad((10000000 + g / ${STORE_COUNT})::text, 8, '0'),
    (ARRAY['서울우유', '농심', '오뚜기', 'CJ', '풀무원', '빙그레', '롯데', '해태', '동원', '삼양'])[1 + (g / ${STORE_COUNT}) % 10]
      || ' ' || (ARRAY['흰우유', '신라면', '참치', '두부', '바나나맛우유', '초코파이', '맛동산', '햇반', '포기김치', '생수',
        '요구르트', '식용유'])[1 + (g / ${STORE_COUNT} / 10) % 12]
      || ' ' || (ARRAY['1L', '500ml', '120g', '5입', '2kg', '1.8L'])[1 + (g / ${STORE_COUNT} / 120) % 6],
    ((500 + (g / ${STORE_COUNT} * 37) % 29500) / 10 * 10 + CASE WHEN g % 7 = 0 THEN 0.5 ELSE 0 END)::numeric(12,2),
    'S' || lpad((g % ${STORE_COUNT} + 1)::text, 2, '0'),
    '880' || lpad(((g / ${STORE_COUNT})::bigint * 7919 % 10000000000)::text, 10, '0')
      || CASE WHEN g % 20 = 0 THEN ', 880' || lpad(((g / ${STORE_COUNT})::bigint * 104729 % 10000000000)::text, 10, '0')
         ELSE '' END,
    date_trunc('second', localtimestamp) - interval '10 days'
      - (${perStore} - g / ${STORE_COUNT}) / 4 * interval '1 second'
  FROM generate_series(0, ${perStore * STORE_COUNT - 1}) AS g`

/** A tenant on `table`; the URLs and credentials come from the environment, so the file holds no secret. */
export const tenantYaml = (id: string, table: string) => `
id: ${id}
name: Benchmark Mart (${table})
timezone: Asia/Seoul
source:
  url: \${BENCH_SOURCE_DB_URL}
  sslmode: disable
esl:
  api:
    base_url: \${BENCH_ESL_URL}
    username: \${BENCH_ESL_USERNAME}
    password: \${BENCH_ESL_PASSWORD}
  company: ${COMPANY}
  stores: [${STORES.join(", ")}]
  source:
    table: ${table}
    change_column: updated_at
    key_column: item_code
    store_column: store_code
  mapping:
    article_id: item_code
    article_name: item_name
    eans: barcode
    data:
      ITEM_NAME: { column: item_name, max_length: 40 }
      SALE_PRICE: { column: sale_price, format: price, decimals: 0, required: true }
      UPDATED: { column: updated_at, format: datetime }
`
