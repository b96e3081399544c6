-- compileDataset(minimal, strategy: split) — golden file, regenerate with UPDATE_GOLDEN=1 (see test/compile.test.ts)

-- [1] aggregates
SELECT count(*) AS m0 FROM read_csv('/warehouse/customers.csv') AS src;

-- [2] duplicates(id)
SELECT coalesce(sum(__n - 1), 0) AS dup_rows, count(*) AS dup_keys, arg_max(struct_pack("key" := struct_pack("id" := "id"), "count" := __n), __n, 5) AS sample FROM (SELECT "id", count(*) AS __n FROM read_csv('/warehouse/customers.csv') AS src WHERE ("id" IS NOT NULL) GROUP BY "id" HAVING count(*) > 1) AS g;
