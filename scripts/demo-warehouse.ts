/**
 * The demo warehouse: a small, realistic e-commerce set of extracts that the
 * bundled checks (checks/*.yaml) run against. Built with an in-memory DuckDB;
 * every "random" value comes from hash(row, salt), so the data is the same on
 * every build except that all timestamps are placed relative to `now` (fresh
 * tables look fresh whenever the demo runs).
 *
 * Written into `dir`:
 *   customers.csv            ~5k rows    customer_id, email, country, created_at, updated_at
 *   orders/part-0000N.parquet ~50k rows  order_id, customer_id, status, amount DECIMAL(18,2),
 *                                        currency, created_at TIMESTAMP, updated_at TIMESTAMP
 *   order_items.parquet      ~120k rows  order_id, line_no, product_id, quantity, unit_price, created_at
 *   payments.csv             ~50k rows   payment_id, order_id, method, status, amount, currency, paid_at
 *   web_events.ndjson        ~100k rows  event_id, session_id, customer_id, event_type, url,
 *                                        device, occurred_at (ISO-8601 string with a UTC offset)
 *
 * PLANTED PROBLEMS (exactly these; everything else is meant to pass):
 *   1. Stale table      payments: the loader "stopped" 30 hours ago, so the newest
 *                       paid_at is ~30h before `now`      -> payments.freshness fails
 *   2. Duplicate keys   orders: 36 orders were re-delivered in the last batch file,
 *                       so 36 order_id values appear twice -> orders.duplicates.order_id fails
 *   3. NULL spike       customers.email: ~5% NULL and ~3% '' (about 8% missing)
 *                                                          -> customers.nulls.email warns
 *                       (the '' are written as "" in the CSV; DuckDB's CSV reader turns
 *                       quoted empty fields into NULL by default, so both read as NULL)
 *   4. Retyped column   order_items.unit_price is written as VARCHAR ('19.99') while
 *                       its check expects DECIMAL(18,2)    -> order_items.schema fails
 *
 * Not a problem, on purpose: orders contains 120 rows with status = 'test'
 * (NULL customer_id, negative amount). The orders check file excludes them with
 * `filter: "status <> 'test'"`; without the filter they would fail
 * orders.nulls.customer_id and orders.negative_amounts.
 *
 * Run directly to (re)build a warehouse somewhere:
 *   npx tsx scripts/demo-warehouse.ts [dir]       (default: <repo>/demo/warehouse)
 */
import { mkdir, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';

const CUSTOMERS = 5_000;
const ORDERS = 50_000;
const ORDER_FILES = 5;
const TEST_ORDERS = 120;
const WEB_EVENTS = 100_000;
/** Payments stop this many hours before `now` (planted problem 1). */
const PAYMENTS_STALE_HOURS = 30;

/** SQL string literal. */
function lit(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}

export async function buildDemoWarehouse(dir: string, now: Date): Promise<void> {
  if (Number.isNaN(now.getTime())) throw new Error('buildDemoWarehouse: invalid date');
  const root = path.resolve(dir);
  const ordersDir = path.join(root, 'orders');
  await mkdir(ordersDir, { recursive: true });
  // Remove only what a previous build wrote (never the whole folder).
  for (const f of await readdir(ordersDir)) {
    if (f.endsWith('.parquet')) await rm(path.join(ordersDir, f), { force: true });
  }
  for (const f of ['customers.csv', 'order_items.parquet', 'payments.csv', 'web_events.ndjson']) {
    await rm(path.join(root, f), { force: true });
  }
  const out = (name: string): string => lit(path.join(root, name));

  const instance = await DuckDBInstance.create(':memory:', { threads: '4' });
  const db = await instance.connect();
  try {
    const run = async (sql: string): Promise<void> => {
      await db.run(sql);
    };
    // `NOW` is a naive UTC TIMESTAMP; every extract is written in UTC.
    const NOW = `make_timestamp(${BigInt(now.getTime()) * 1000n}::BIGINT)`;

    // u(i, salt): deterministic uniform [0, 1); pick(i, salt, n): deterministic 0..n-1.
    await run(`CREATE MACRO u(i, salt) AS (hash(i, salt) % 1000000)::DOUBLE / 1000000.0`);
    await run(`CREATE MACRO pick(i, salt, n) AS (hash(i, salt) % n)::INTEGER`);
    await run(`CREATE MACRO ago(secs) AS ${NOW} - to_seconds(CAST(secs AS BIGINT))`);

    // ---------------------------------------------------------------- customers
    await run(`
      CREATE TABLE customers AS
      WITH base AS (
        SELECT
          i AS customer_id,
          (['olivia','liam','emma','noah','ava','lucas','mia','leo','sofia','elias',
            'hana','yuki','arjun','priya','mateo','lena','omar','zoe','ivan','chloe'])[1 + pick(i, 'c_first', 20)] AS first_name,
          (['smith','garcia','muller','martin','rossi','kowalski','jansen','silva','nguyen','kim',
            'tanaka','patel','brown','dubois','schmidt','larsen','lopez','wilson','novak','costa'])[1 + pick(i, 'c_last', 20)] AS last_name,
          pick(i, 'c_country', 100) AS cw,
          pick(i, 'c_email', 1000) AS ew,
          ago(3600 + u(i, 'c_created') * 3 * 365 * 86400) AS created_at
        FROM range(1, ${CUSTOMERS + 1}) t(i)
      )
      SELECT
        customer_id,
        CASE
          WHEN ew < 50 THEN NULL                      -- planted: ~5% NULL
          WHEN ew < 80 THEN ''                        -- planted: ~3% empty string
          ELSE first_name || '.' || last_name || customer_id::VARCHAR || '@' ||
               (['gmail.com','outlook.com','yahoo.com','proton.me','icloud.com','example.org'])[1 + pick(customer_id, 'c_domain', 6)]
        END AS email,
        CASE
          WHEN cw < 38 THEN 'US' WHEN cw < 52 THEN 'GB' WHEN cw < 64 THEN 'DE' WHEN cw < 72 THEN 'FR'
          WHEN cw < 79 THEN 'NL' WHEN cw < 85 THEN 'CA' WHEN cw < 90 THEN 'AU' WHEN cw < 94 THEN 'ES'
          WHEN cw < 97 THEN 'IT' ELSE 'SE'
        END AS country,
        date_trunc('second', created_at) AS created_at,
        date_trunc('second', CASE
          -- ~5% of customers touched in the last 3 hours, so the table looks fresh
          WHEN pick(customer_id, 'c_recent', 20) = 0
            THEN greatest(created_at, ago(30 + u(customer_id, 'c_upd') * 3 * 3600))
          ELSE make_timestamp(epoch_us(created_at) +
               CAST((epoch_us(${NOW}) - epoch_us(created_at)) * u(customer_id, 'c_upd') * 0.98 AS BIGINT))
        END) AS updated_at
      FROM base
      ORDER BY customer_id`);
    await run(`COPY customers TO ${out('customers.csv')} (FORMAT csv, HEADER)`);

    // ------------------------------------------------------------------- orders
    // One order every ~155 s over the last 90 days; order_id grows with time.
    await run(`
      CREATE TABLE order_base AS
      WITH b AS (
        SELECT
          i,
          100000 + i AS order_id,
          1 + pick(i, 'o_customer', ${CUSTOMERS}) AS customer_id,
          ago(15 + (${ORDERS} - i) * 155.52 + u(i, 'o_jitter') * 60) AS created_at,
          pick(i, 'o_status', 100) AS sw,
          pick(i, 'o_lines', 100) AS lw
        FROM range(1, ${ORDERS + 1}) t(i)
      ), s AS (
        SELECT *,
          CASE
            WHEN created_at > ago(86400) THEN CASE WHEN sw < 40 THEN 'placed' ELSE 'paid' END
            WHEN created_at > ago(5 * 86400) THEN CASE WHEN sw < 20 THEN 'paid' ELSE 'shipped' END
            ELSE CASE WHEN sw < 85 THEN 'delivered' WHEN sw < 95 THEN 'cancelled' ELSE 'refunded' END
          END AS status
        FROM b
      )
      SELECT
        i, order_id, customer_id, status,
        date_trunc('second', created_at) AS created_at,
        date_trunc('second', greatest(created_at, least(
          created_at + to_seconds(CAST(CASE status
            WHEN 'placed' THEN 0
            WHEN 'paid' THEN 60 + u(i, 'o_upd') * 600
            WHEN 'shipped' THEN 86400 + u(i, 'o_upd') * 2 * 86400
            WHEN 'cancelled' THEN 3600 + u(i, 'o_upd') * 86400
            ELSE 3 * 86400 + u(i, 'o_upd') * 4 * 86400
          END AS BIGINT)),
          ago(5 + u(i, 'o_cap') * 300)))) AS updated_at,
        CASE WHEN lw < 25 THEN 1 WHEN lw < 55 THEN 2 WHEN lw < 80 THEN 3 ELSE 4 END AS n_lines
      FROM s`);

    // -------------------------------------------------------------- order_items
    await run(`
      CREATE TABLE items AS
      WITH l AS (
        SELECT o.order_id, o.created_at, r.line_no,
               1 + pick(o.order_id * 10 + r.line_no, 'i_product', 2000) AS product_id,
               pick(o.order_id * 10 + r.line_no, 'i_qty', 100) AS qw
        FROM order_base o
        JOIN range(1, 5) r(line_no) ON r.line_no <= o.n_lines
      )
      SELECT
        order_id,
        line_no::INTEGER AS line_no,
        product_id::BIGINT AS product_id,
        (CASE WHEN qw < 70 THEN 1 WHEN qw < 88 THEN 2 WHEN qw < 96 THEN 3 ELSE 5 END)::INTEGER AS quantity,
        CAST(2.99 + pick(product_id, 'i_price', 19700) / 100.0 AS DECIMAL(18,2)) AS unit_price,
        created_at
      FROM l`);
    // Planted problem 4: unit_price leaves the warehouse as text.
    await run(`
      COPY (
        SELECT order_id, line_no, product_id, quantity,
               CAST(unit_price AS VARCHAR) AS unit_price,
               created_at
        FROM items ORDER BY order_id, line_no
      ) TO ${out('order_items.parquet')} (FORMAT parquet)`);

    await run(`
      CREATE TABLE orders AS
      SELECT o.i, o.order_id, o.customer_id::BIGINT AS customer_id, o.status,
             CAST(t.amount AS DECIMAL(18,2)) AS amount,
             CASE c.country WHEN 'US' THEN 'USD' WHEN 'GB' THEN 'GBP' WHEN 'CA' THEN 'CAD'
                            WHEN 'AU' THEN 'AUD' WHEN 'SE' THEN 'SEK' ELSE 'EUR' END AS currency,
             o.created_at, o.updated_at
      FROM order_base o
      JOIN (SELECT order_id, sum(quantity * unit_price) AS amount FROM items GROUP BY order_id) t USING (order_id)
      JOIN customers c USING (customer_id)`);
    // Test orders (excluded by the check file's filter): no customer, negative amount.
    await run(`
      CREATE TABLE test_orders AS
      SELECT j,
             900000000 + j AS order_id,
             NULL::BIGINT AS customer_id,
             'test' AS status,
             CAST(-1 * (1 + pick(j, 't_amt', 50)) AS DECIMAL(18,2)) AS amount,
             'USD' AS currency,
             date_trunc('second', ago(600 + u(j, 't_created') * 30 * 86400)) AS created_at
      FROM range(1, ${TEST_ORDERS + 1}) t(j)`);
    const orderCols = 'order_id, customer_id, status, amount, currency, created_at, updated_at';
    for (let k = 0; k < ORDER_FILES; k++) {
      const perFile = ORDERS / ORDER_FILES;
      const parts = [
        `SELECT ${orderCols} FROM orders WHERE i > ${k * perFile} AND i <= ${(k + 1) * perFile}`,
        `SELECT order_id, customer_id, status, amount, currency, created_at, created_at AS updated_at
           FROM test_orders WHERE j % ${ORDER_FILES} = ${k}`,
      ];
      if (k === ORDER_FILES - 1) {
        // Planted problem 2: 36 older orders re-delivered in the newest batch.
        parts.push(`SELECT ${orderCols} FROM orders WHERE order_id % 1400 = 7`);
      }
      const file = path.join('orders', `part-${String(k).padStart(5, '0')}.parquet`);
      await run(`COPY (${parts.join(' UNION ALL ')} ORDER BY order_id) TO ${out(file)} (FORMAT parquet)`);
    }

    // ----------------------------------------------------------------- payments
    // One captured/refunded payment per non-'placed' order, ~3% preceded by a
    // failed attempt. Planted problem 1: nothing newer than 30 hours ago.
    await run(`
      CREATE TABLE payments AS
      WITH attempts AS (
        SELECT order_id, amount, currency, created_at, status AS order_status, 1 AS attempt
        FROM orders WHERE status <> 'placed'
        UNION ALL
        SELECT order_id, amount, currency, created_at, status, 0
        FROM orders WHERE status <> 'placed' AND pick(order_id, 'p_failed', 100) < 3
      ), p AS (
        SELECT *,
          created_at + to_seconds(CAST(CASE attempt WHEN 0 THEN 20 + u(order_id, 'p_fail_delay') * 60
                                       ELSE 120 + u(order_id, 'p_delay') * 480 END AS BIGINT)) AS paid_at
        FROM attempts
      )
      SELECT
        'pay_' || lpad(CAST(row_number() OVER (ORDER BY paid_at, order_id, attempt) AS VARCHAR), 8, '0') AS payment_id,
        order_id,
        (['card','card','card','card','card','paypal','paypal','apple_pay','bank_transfer','gift_card'])[1 + pick(order_id * 2 + attempt, 'p_method', 10)] AS method,
        CASE WHEN attempt = 0 THEN 'failed' WHEN order_status = 'refunded' THEN 'refunded' ELSE 'captured' END AS status,
        amount,
        currency,
        paid_at
      FROM p
      WHERE paid_at <= ago(${PAYMENTS_STALE_HOURS * 3600})
      ORDER BY paid_at, order_id, attempt`);
    await run(`COPY payments TO ${out('payments.csv')} (FORMAT csv, HEADER)`);

    // --------------------------------------------------------------- web_events
    // ~5 events per session, one event every ~6 s over the last 7 days. The
    // timestamp is the visitor's local time with its UTC offset.
    await run(`
      CREATE TABLE web_events AS
      WITH e AS (
        SELECT i, i // 5 AS session_no,
               ago(20 + (${WEB_EVENTS} - i) * 6.048 + u(i, 'w_jitter') * 5) AS occurred_utc,
               pick(i, 'w_type', 100) AS tw
        FROM range(1, ${WEB_EVENTS + 1}) t(i)
      ), s AS (
        SELECT *,
          pick(session_no, 'w_tz', 7) AS tz,
          CASE WHEN pick(session_no, 'w_anon', 100) < 30 THEN NULL
               ELSE 1 + pick(session_no, 'w_customer', ${CUSTOMERS}) END AS customer_id,
          CASE WHEN tw < 60 THEN 'page_view' WHEN tw < 72 THEN 'search' WHEN tw < 87 THEN 'add_to_cart'
               WHEN tw < 95 THEN 'checkout' ELSE 'purchase' END AS event_type
        FROM e
      )
      SELECT
        'evt_' || md5('event-' || i::VARCHAR) AS event_id,
        'sess_' || substr(md5('session-' || session_no::VARCHAR), 1, 16) AS session_id,
        customer_id::BIGINT AS customer_id,
        event_type,
        CASE event_type
          WHEN 'purchase' THEN NULL     -- server-side event, no page
          WHEN 'search' THEN 'https://shop.example.com/search?q=' ||
               (['shoes','jacket','lamp','headphones','mug','backpack'])[1 + pick(i, 'w_q', 6)]
          WHEN 'checkout' THEN 'https://shop.example.com/checkout'
          WHEN 'add_to_cart' THEN 'https://shop.example.com/cart'
          ELSE 'https://shop.example.com/p/' || (1 + pick(i, 'w_page', 2000))::VARCHAR
        END AS url,
        (['desktop','mobile','mobile','tablet'])[1 + pick(session_no, 'w_device', 4)] AS device,
        strftime(date_trunc('millisecond', occurred_utc) + to_minutes(CAST((tz_minutes)[1 + tz] AS BIGINT)), '%Y-%m-%dT%H:%M:%S.%g')
          || (tz_names)[1 + tz] AS occurred_at
      FROM s, (SELECT [0, 60, 120, -300, -480, 330, 600] AS tz_minutes,
                      ['+00:00', '+01:00', '+02:00', '-05:00', '-08:00', '+05:30', '+10:00'] AS tz_names)
      ORDER BY i`);
    await run(`COPY web_events TO ${out('web_events.ndjson')} (FORMAT json)`);
  } finally {
    db.closeSync();
    instance.closeSync();
  }
}

// `npx tsx scripts/demo-warehouse.ts [dir]` (or node dist/scripts/demo-warehouse.js)
const entry = process.argv[1];
if (entry && import.meta.url === pathToFileURL(path.resolve(entry)).href) {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const repo = path.resolve(here, path.basename(path.dirname(here)) === 'dist' ? '../..' : '..');
  const dir = process.argv[2] ?? path.join(repo, 'demo', 'warehouse');
  const started = Date.now();
  buildDemoWarehouse(dir, new Date()).then(
    () => console.log(`demo warehouse written to ${dir} in ${Date.now() - started} ms`),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
