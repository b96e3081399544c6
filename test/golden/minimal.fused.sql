-- compileDataset(minimal, strategy: fused) — golden file, regenerate with UPDATE_GOLDEN=1 (see test/compile.test.ts)

-- [1] aggregates+duplicates
SELECT coalesce(sum(__p0), 0) AS m0, coalesce(sum(__n) FILTER (WHERE "id" IS NOT NULL), 0) - count(*) FILTER (WHERE "id" IS NOT NULL AND __n > 0) AS dup_rows, count(*) FILTER (WHERE "id" IS NOT NULL AND __n > 1) AS dup_keys, arg_max(struct_pack("key" := struct_pack("id" := "id"), "count" := __n), __n, 5) FILTER (WHERE "id" IS NOT NULL AND __n > 1) AS sample FROM (SELECT "id", count(*) AS __p0, count(*) AS __n FROM read_csv('/warehouse/customers.csv') AS src GROUP BY "id") AS g;
