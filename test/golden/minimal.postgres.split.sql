-- compileDataset(minimal.postgres, strategy: split) — golden file, regenerate with UPDATE_GOLDEN=1 (see test/compile.test.ts)

-- [1] aggregates
SELECT count(*) AS m0 FROM "public"."customers" AS src;

-- [2] duplicates(id)
WITH g_ AS MATERIALIZED (SELECT "id", count(*) AS __n FROM "public"."customers" AS src WHERE ("id" IS NOT NULL) GROUP BY "id" HAVING count(*) > 1) SELECT * FROM (SELECT coalesce(sum(__n - 1), 0) AS dup_rows, count(*) AS dup_keys, (SELECT json_agg(json_build_object('key', json_build_object('id', "id"), 'count', __n) ORDER BY __n DESC, "id" ASC) FROM (SELECT * FROM g_ ORDER BY __n DESC, "id" ASC LIMIT 5) AS t) AS sample FROM g_) AS d;
