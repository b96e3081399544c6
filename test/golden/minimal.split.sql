-- compileDataset(minimal, strategy: split) — golden file, regenerate with UPDATE_GOLDEN=1 (see test/compile.test.ts)

-- [1] aggregates
SELECT count(*) AS m0 FROM read_csv('/warehouse/customers.csv') AS src;

-- [2] duplicates(id)
SELECT coalesce(sum(__n) - count(*), 0) AS dup_rows, count(*) FILTER (WHERE __n > 1) AS dup_keys, arg_max(struct_pack("key" := struct_pack("id" := "id"), "count" := __n), __n, 5) FILTER (WHERE __n > 1) AS sample FROM (SELECT "id", count(*) AS __n FROM read_csv('/warehouse/customers.csv') AS src WHERE ("id" IS NOT NULL) GROUP BY "id") AS g;
