-- compileDataset(minimal.postgres, strategy: single) — golden file, regenerate with UPDATE_GOLDEN=1 (see test/compile.test.ts)

-- [1] dataset
WITH src AS NOT MATERIALIZED (SELECT * FROM "public"."customers" AS src), g0 AS MATERIALIZED (SELECT "id", count(*) AS __n FROM src WHERE ("id" IS NOT NULL) GROUP BY "id" HAVING count(*) > 1) SELECT * FROM (SELECT count(*) AS m0 FROM src) AS a, (SELECT coalesce(sum(__n - 1), 0) AS dup_rows0, count(*) AS dup_keys0, (SELECT json_agg(json_build_object('key', json_build_object('id', "id"), 'count', __n) ORDER BY __n DESC, "id" ASC) FROM (SELECT * FROM g0 ORDER BY __n DESC, "id" ASC LIMIT 5) AS t) AS sample0 FROM g0) AS d0;
