-- The demo chain's source tables, as docker/tenants/compose/tenant.yaml (and tenants/demo) map them, with a few rows
-- in each of the stores S001–S003. Timestamps are wall-clock times in the tenant's zone (Asia/Seoul).

CREATE TABLE items (
  item_code text NOT NULL,
  item_name text NOT NULL,
  sale_price numeric(12,2) NOT NULL,
  list_price numeric(12,2),
  category text,
  barcode text,
  store_code text NOT NULL,
  updated_at timestamp NOT NULL DEFAULT (now() AT TIME ZONE 'Asia/Seoul'),
  PRIMARY KEY (store_code, item_code)
);

-- ESL change detection compares and orders text in the "C" collation: with this index a pass that finds nothing
-- to do is one index probe (tenants/_template/tenant.yaml).
CREATE INDEX items_esl_change ON items (store_code COLLATE "C", updated_at, item_code COLLATE "C");

CREATE TABLE sales (
  sale_id bigserial PRIMARY KEY,
  store_code text NOT NULL,
  item_code text NOT NULL,
  qty int NOT NULL,
  amount numeric(12,2) NOT NULL,
  sold_at timestamp NOT NULL
);

CREATE INDEX sales_sold_at ON sales (sold_at);

INSERT INTO items (item_code, item_name, sale_price, list_price, category, barcode, store_code) VALUES
  ('A1001', '서울우유 1L', 2980, 3200, 'dairy', '8801115114154', 'S001'),
  ('A1002', '신라면 5입', 4480, 4980, 'noodles', '8801043014816', 'S001'),
  ('A1003', '칠성사이다 1.5L', 2590, NULL, 'drinks', '8801056038861', 'S001'),
  ('A1004', 'Free-range eggs 10', 4200, 4500, 'fresh', NULL, 'S001'),
  ('A1001', '서울우유 1L', 2950, 3200, 'dairy', '8801115114154', 'S002'),
  ('A1002', '신라면 5입', 4480, 4980, 'noodles', '8801043014816', 'S002'),
  ('A1005', 'Whole wheat bread', 3500, NULL, 'bakery', '8801019606489,8801019606496', 'S002'),
  ('A1001', '서울우유 1L', 2980, 3200, 'dairy', '8801115114154', 'S003'),
  ('A1003', '칠성사이다 1.5L', 2490, 2590, 'drinks', '8801056038861', 'S003'),
  ('A1006', 'Apple 1kg', 8900, 9900, 'fresh', NULL, 'S003');

-- Sales over the last three days (all in the past), so the daily ETL job has yesterday's partition to extract.
INSERT INTO sales (store_code, item_code, qty, amount, sold_at)
SELECT i.store_code, i.item_code, 1 + (d + n) % 3, i.sale_price * (1 + (d + n) % 3),
       (now() AT TIME ZONE 'Asia/Seoul') - make_interval(days => d, hours => 1 + 3 * n)
FROM items i, generate_series(0, 2) d, generate_series(0, 3) n;
