-- compileDataset(orders, strategy: split) — golden file, regenerate with UPDATE_GOLDEN=1 (see test/compile.test.ts)

-- [1] aggregates
SELECT count(*) AS m0, count(*) FILTER (WHERE status = 'paid') AS m1, count("customer_id") AS m2, count("customer_id") FILTER (WHERE status = 'paid') AS m3, count(*) FILTER (WHERE ("email" IS NULL OR "email" IN (TRY_CAST('' AS VARCHAR), TRY_CAST('N/A' AS VARCHAR)))) AS m4, epoch_ms(timezone('Europe/Berlin', CAST(max("updated_at") AS TIMESTAMP))) AS m5, epoch_ms(max("loaded at") FILTER (WHERE region = 'eu')) AS m6, epoch_ms(timezone('UTC', CAST(max("order_date") AS TIMESTAMP))) AS m7 FROM read_parquet('/warehouse/orders/*.parquet') AS src WHERE (status <> 'test');

-- [2] duplicates(order_id, line no)
SELECT * FROM (SELECT coalesce(sum(__n - 1), 0) AS dup_rows, count(*) AS dup_keys, arg_min(struct_pack("key" := struct_pack("order_id" := "order_id", "line no" := "line no"), "count" := __n), struct_pack(__n := -__n, k0 := "order_id", k1 := "line no"), 5) AS sample FROM (SELECT "order_id", "line no", count(*) AS __n FROM read_parquet('/warehouse/orders/*.parquet') AS src WHERE (status <> 'test') AND ("order_id" IS NOT NULL AND "line no" IS NOT NULL) GROUP BY "order_id", "line no" HAVING count(*) > 1) AS g) AS d;

-- [3] duplicates(customer_id)
SELECT * FROM (SELECT coalesce(sum(__n - 1), 0) AS dup_rows, count(*) AS dup_keys, arg_min(struct_pack("key" := struct_pack("customer_id" := "customer_id"), "count" := __n), struct_pack(__n := -__n, k0 := "customer_id"), 5) AS sample FROM (SELECT "customer_id", count(*) AS __n FROM read_parquet('/warehouse/orders/*.parquet') AS src WHERE (status <> 'test') AND (status = 'paid') AND ("customer_id" IS NOT NULL) GROUP BY "customer_id" HAVING count(*) > 1) AS g) AS d;

-- [4] sql
select count(*) from (SELECT * FROM read_parquet('/warehouse/orders/*.parquet') AS src WHERE (status <> 'test')) where amount < 0;
