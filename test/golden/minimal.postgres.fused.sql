-- compileDataset(minimal.postgres, strategy: fused) — golden file, regenerate with UPDATE_GOLDEN=1 (see test/compile.test.ts)

-- [1] aggregates+duplicates
WITH g_ AS MATERIALIZED (SELECT "id", count(*) AS __p0, count(*) AS __n FROM "public"."customers" AS src GROUP BY "id") SELECT * FROM (SELECT coalesce(sum(__p0), 0) AS m0, coalesce(sum(__n - 1) FILTER (WHERE "id" IS NOT NULL AND __n > 1), 0) AS dup_rows, count(*) FILTER (WHERE "id" IS NOT NULL AND __n > 1) AS dup_keys, (SELECT json_agg(json_build_object('key', json_build_object('id', "id"), 'count', __n) ORDER BY __n DESC, "id" ASC) FROM (SELECT * FROM g_ WHERE "id" IS NOT NULL AND __n > 1 ORDER BY __n DESC, "id" ASC LIMIT 5) AS t) AS sample FROM g_) AS d;
