-- compileDataset(minimal, strategy: fused) — golden file, regenerate with UPDATE_GOLDEN=1 (see test/compile.test.ts)

-- [1] aggregates+duplicates
SELECT * FROM (SELECT coalesce(sum(__p0), 0) AS m0, coalesce(sum(__n - 1) FILTER (WHERE "id" IS NOT NULL AND __n > 1), 0) AS dup_rows, count(*) FILTER (WHERE "id" IS NOT NULL AND __n > 1) AS dup_keys, arg_min(struct_pack("key" := struct_pack("id" := "id"), "count" := __n), struct_pack(__n := -__n, k0 := "id"), 5) FILTER (WHERE "id" IS NOT NULL AND __n > 1) AS sample FROM (SELECT "id", count(*) AS __p0, count(*) AS __n FROM read_csv('/warehouse/customers.csv') AS src GROUP BY "id") AS g) AS d;
