-- compileDataset(minimal, strategy: single) — golden file, regenerate with UPDATE_GOLDEN=1 (see test/compile.test.ts)

-- [1] dataset
WITH src AS NOT MATERIALIZED (SELECT * FROM read_csv('/warehouse/customers.csv') AS src) SELECT * FROM (SELECT count(*) AS m0 FROM src) AS a, (SELECT coalesce(sum(__n - 1), 0) AS dup_rows0, count(*) AS dup_keys0, arg_min(struct_pack("key" := struct_pack("id" := "id"), "count" := __n), struct_pack(__n := -__n, k0 := "id"), 5) AS sample0 FROM (SELECT "id", count(*) AS __n FROM src WHERE ("id" IS NOT NULL) GROUP BY "id" HAVING count(*) > 1) AS g) AS d0, (SELECT list(struct_pack(name := column_name, type := column_type)) AS __columns FROM (DESCRIBE src)) AS s;
