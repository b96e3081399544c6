-- compileDataset(orders.postgres, strategy: split) — golden file, regenerate with UPDATE_GOLDEN=1 (see test/compile.test.ts)

-- [1] aggregates
SELECT count(*) AS m0, count(*) FILTER (WHERE status = 'paid') AS m1, count("customer_id") AS m2, count("customer_id") FILTER (WHERE status = 'paid') AS m3, count(*) FILTER (WHERE ("email" IS NULL OR "email" IN (CAST('' AS text), CAST('N/A' AS text)))) AS m4, floor(extract(epoch FROM (CAST(max("updated_at") AS timestamp) AT TIME ZONE 'Europe/Berlin')) * 1000)::bigint AS m5, floor(extract(epoch FROM max("loaded at") FILTER (WHERE region = 'eu')) * 1000)::bigint AS m6, floor(extract(epoch FROM (CAST(max("order_date") AS timestamp) AT TIME ZONE 'UTC')) * 1000)::bigint AS m7 FROM "analytics"."orders" AS src WHERE (status <> 'test');

-- [2] duplicates(order_id, line no)
WITH g_ AS MATERIALIZED (SELECT "order_id", "line no", count(*) AS __n FROM "analytics"."orders" AS src WHERE (status <> 'test') AND ("order_id" IS NOT NULL AND "line no" IS NOT NULL) GROUP BY "order_id", "line no" HAVING count(*) > 1) SELECT * FROM (SELECT coalesce(sum(__n - 1), 0) AS dup_rows, count(*) AS dup_keys, (SELECT json_agg(json_build_object('key', json_build_object('order_id', "order_id", 'line no', "line no"), 'count', __n) ORDER BY __n DESC, "order_id" ASC, "line no" ASC) FROM (SELECT * FROM g_ ORDER BY __n DESC, "order_id" ASC, "line no" ASC LIMIT 5) AS t) AS sample FROM g_) AS d;

-- [3] duplicates(customer_id)
WITH g_ AS MATERIALIZED (SELECT "customer_id", count(*) AS __n FROM "analytics"."orders" AS src WHERE (status <> 'test') AND (status = 'paid') AND ("customer_id" IS NOT NULL) GROUP BY "customer_id" HAVING count(*) > 1) SELECT * FROM (SELECT coalesce(sum(__n - 1), 0) AS dup_rows, count(*) AS dup_keys, (SELECT json_agg(json_build_object('key', json_build_object('customer_id', "customer_id"), 'count', __n) ORDER BY __n DESC, "customer_id" ASC) FROM (SELECT * FROM g_ ORDER BY __n DESC, "customer_id" ASC LIMIT 5) AS t) AS sample FROM g_) AS d;

-- [4] duplicates(email)
WITH g_ AS MATERIALIZED (SELECT "email", count(*) AS __n FROM "analytics"."orders" AS src WHERE (status <> 'test') AND ("email" IS NOT NULL) GROUP BY "email" HAVING count(*) > 1) SELECT * FROM (SELECT coalesce(sum(__n - 1), 0) AS dup_rows, count(*) AS dup_keys, (SELECT json_agg(json_build_object('key', json_build_object('email', "email"), 'count', __n) ORDER BY __n DESC, "email" COLLATE "C" ASC) FROM (SELECT * FROM g_ ORDER BY __n DESC, "email" COLLATE "C" ASC LIMIT 5) AS t) AS sample FROM g_) AS d;

-- [5] sql
SELECT * FROM (
WITH vigil_source AS NOT MATERIALIZED (SELECT * FROM "analytics"."orders" AS src WHERE (status <> 'test')) SELECT * FROM (
select count(*) from vigil_source where amount < 0
) AS q
) AS q LIMIT 1;
