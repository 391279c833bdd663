-- One minute of trading, run in a loop by the stack's demo-activity service: a few price changes (work for the ESL
-- sync) and a few sales (rows for the daily ETL). Timestamps are wall-clock times in the tenant's zone (Asia/Seoul).

UPDATE items
SET sale_price = greatest(500, round(sale_price * (0.95 + random() * 0.1)::numeric, -1)),
    updated_at = now() AT TIME ZONE 'Asia/Seoul'
WHERE (store_code, item_code) IN (SELECT store_code, item_code FROM items ORDER BY random() LIMIT 3);

INSERT INTO sales (store_code, item_code, qty, amount, sold_at)
SELECT store_code, item_code, qty, sale_price * qty, now() AT TIME ZONE 'Asia/Seoul'
FROM (SELECT store_code, item_code, sale_price, 1 + floor(random() * 3)::int AS qty FROM items ORDER BY random() LIMIT 5) picked;
