-- compileDataset(minimal, strategy: split) — golden file, regenerate with UPDATE_GOLDEN=1 (see test/compile.test.ts)

-- [1] aggregates
SELECT count(*) AS m0 FROM read_csv('/warehouse/customers.csv') AS src;

-- [2] duplicates(id)
SELECT * FROM (SELECT coalesce(sum(__n - 1), 0) AS dup_rows, count(*) AS dup_keys, arg_min(struct_pack("key" := struct_pack("id" := "id"), "count" := __n), struct_pack(__n := -__n, k0 := "id"), 5) AS sample FROM (SELECT "id", count(*) AS __n FROM read_csv('/warehouse/customers.csv') AS src WHERE ("id" IS NOT NULL) GROUP BY "id" HAVING count(*) > 1) AS g) AS d;
