import { PgClient } from "@effect/sql-pg"
import { Duration, Effect, type Redacted, Schedule } from "effect"

/** The demo source: three stores' items (ESL and master data) and their sales (daily partitions). */
export const demoSchema = [
  `CREATE TABLE IF NOT EXISTS items (
    store_code text NOT NULL, item_code text NOT NULL, item_name text NOT NULL, sale_price numeric(12,2),
    list_price numeric(12,2), category text, barcode text, updated_at timestamp NOT NULL DEFAULT now(),
    PRIMARY KEY (store_code, item_code))`,
  `CREATE INDEX IF NOT EXISTS items_change ON items (store_code, updated_at, item_code COLLATE "C")`,
  `CREATE TABLE IF NOT EXISTS sales (
    sale_id bigserial PRIMARY KEY, store_code text NOT NULL, item_code text NOT NULL, qty int4 NOT NULL,
    amount numeric(12,2) NOT NULL, sold_at timestamp NOT NULL)`,
  `CREATE INDEX IF NOT EXISTS sales_day ON sales (sold_at)`
]

const products = [
  ["8801115114154", "서울우유 1L", "Dairy", 2980],
  ["8801043015653", "신라면 5입", "Noodles", 4480],
  ["8801062518210", "초코파이 12입", "Snacks", 5980],
  ["8801007160337", "햇반 210g", "Rice", 1980],
  ["8801056038861", "Cass 500ml", "Beer", 2650],
  ["8809018461103", "Sparkling water", "Drinks", 1200],
  ["8801019310157", "Kimchi 500g", "Deli", 6900],
  ["8801128503846", "Eggs 10", "Fresh", 4990]
] as const

/** Eight products in each of three stores, and a day and a half of sales so yesterday's partition has data. */
export const demoSeed = [
  `INSERT INTO items (store_code, item_code, item_name, sale_price, list_price, category, barcode, updated_at)
   SELECT s.code, 'P' || lpad(p.n::text, 3, '0'), p.name, p.price, p.price * 1.1, p.category, p.barcode,
          now() - interval '1 hour'
   FROM (VALUES ('S001'), ('S002'), ('S003')) AS s(code),
        (VALUES ${products.map((p, i) => `(${i + 1}, '${p[1]}', '${p[2]}', ${p[3]}, '${p[0]}')`).join(", ")})
          AS p(n, name, category, price, barcode)
   ON CONFLICT DO NOTHING`,
  `INSERT INTO sales (store_code, item_code, qty, amount, sold_at)
   SELECT 'S00' || (1 + g % 3), 'P' || lpad((1 + g % 8)::text, 3, '0'), 1 + g % 4, (1 + g % 4) * 1990,
          date_trunc('day', now()) - interval '1 day' + (g * 7 || ' minutes')::interval
   FROM generate_series(1, 300) g`
]

/** Some prices change and some sales happen, as in a shop: what the daemon's next passes pick up. */
const changes = [
  `UPDATE items SET sale_price = round(list_price * (0.8 + random() * 0.2)), updated_at = now()
   WHERE (store_code, item_code) IN (SELECT store_code, item_code FROM items ORDER BY random() LIMIT 2)`,
  `INSERT INTO sales (store_code, item_code, qty, amount, sold_at)
   SELECT store_code, item_code, 1, sale_price, now() FROM items ORDER BY random() LIMIT 3`
]

const run = (url: Redacted.Redacted<string>, statements: ReadonlyArray<string>) =>
  PgClient.PgClient.use((sql) =>
    Effect.forEach(statements, (statement) => sql.unsafe(statement), { discard: true })
  ).pipe(Effect.provide(PgClient.layer({ url, maxConnections: 1 })))

/** Creates and fills the demo tables (idempotent). */
export const seedDemo = (url: Redacted.Redacted<string>) => run(url, [...demoSchema, ...demoSeed])

/** Changes a few prices and adds a few sales every `every`, until interrupted. */
export const generateChanges = (url: Redacted.Redacted<string>, every: Duration.Input) =>
  run(url, changes).pipe(
    Effect.catch((error) => Effect.logWarning(`demo change generator: ${error.message}`)),
    Effect.repeat(Schedule.spaced(Duration.fromInputUnsafe(every)))
  )
