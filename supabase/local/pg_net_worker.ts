/**
 * The worker half of the pg_net stand-in: performs the HTTP requests queued in
 * net.http_request_queue and records each outcome in net._http_response, as pg_net's
 * background worker does. It only ever sees committed rows, so a rolled-back
 * transaction's request is never sent. Like pg_net it takes a request off the queue when
 * it picks it up and never retries.
 */
import postgres from "postgres";
import { guardAgainstStrayConnectionErrors } from "../../shared/platform/db.ts";

export interface PgNetWorker {
  /** Stops picking up requests (pg_net "stalled"); queued requests stay queued. */
  pause(): void;
  resume(): void;
  readonly paused: boolean;
  stop(): Promise<void>;
}

const BATCH_SIZE = 200; // pg_net's default batch size
const POLL_MS = 250;
const RESPONSE_TTL = "6 hours"; // pg_net's default ttl

interface QueuedRequest {
  id: string;
  method: string;
  url: string;
  headers: Record<string, string>;
  body: Uint8Array | null;
  timeout_milliseconds: number;
}

async function perform(req: QueuedRequest) {
  try {
    const res = await fetch(req.url, {
      method: req.method,
      headers: req.headers,
      body: req.method === "GET" || !req.body ? undefined : new Uint8Array(req.body),
      signal: AbortSignal.timeout(req.timeout_milliseconds),
    });
    return {
      status_code: res.status,
      content_type: res.headers.get("content-type"),
      headers: Object.fromEntries(res.headers),
      content: await res.text(),
      timed_out: false,
      error_msg: null,
    };
  } catch (err) {
    const timedOut = err instanceof DOMException && err.name === "TimeoutError";
    return {
      status_code: null,
      content_type: null,
      headers: null,
      content: null,
      timed_out: timedOut,
      error_msg: timedOut
        ? `Timeout of ${req.timeout_milliseconds} ms reached`
        : `Couldn't connect to server: ${(err as Error).message}`,
    };
  }
}

/** The application_name of the stand-in worker's connections. */
export const PG_NET_APPLICATION_NAME = "pg_net";

export async function startPgNetWorker(
  dbUrl: string,
  log: (line: string) => void,
): Promise<PgNetWorker> {
  // Named like the real worker: pg_net runs inside PostgreSQL as a background worker, not as
  // a client, so tests that drop the clients' connections leave this one alone.
  // The real worker lives inside PostgreSQL and outlives its restarts; this one must too.
  guardAgainstStrayConnectionErrors();
  const connectPool = () =>
    postgres(dbUrl, {
      max: 4,
      onnotice: () => {},
      connection: { application_name: PG_NET_APPLICATION_NAME },
    });
  let sql = connectPool();
  let paused = false;
  let stopped = false;
  let running: Promise<void> | null = null;
  let again = false;

  // A query whose write postgres.js dropped on a restart never settles (porsager/postgres#1209):
  // past this, the pool is replaced so the worker does not stall with it.
  const QUERY_PATIENCE_MS = 30_000;
  async function patiently<T>(query: Promise<T>): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const stalled = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error("query stalled; new connections")),
        QUERY_PATIENCE_MS,
      );
    });
    try {
      return await Promise.race([query, stalled]);
    } catch (err) {
      if (timer !== undefined && (err as Error).message.startsWith("query stalled")) {
        const old = sql;
        sql = connectPool();
        old.end({ timeout: 0 }).catch(() => {});
      }
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  async function drain() {
    while (!paused && !stopped) {
      const batch = await patiently(sql<QueuedRequest[]>`
        delete from net.http_request_queue
        where id in (select id from net.http_request_queue order by id limit ${BATCH_SIZE} for update skip locked)
        returning id, method::text as method, url, headers, body, timeout_milliseconds`);
      if (batch.length === 0) return;
      await Promise.all(batch.map(async (req) => {
        const outcome = await perform(req);
        await patiently(sql`insert into net._http_response ${sql({ id: req.id, ...outcome })}`);
        log(
          `pg_net #${req.id} ${req.method} ${new URL(req.url).pathname} → ${
            outcome.status_code ?? outcome.error_msg
          }`,
        );
      }));
    }
  }

  function wake() {
    if (running) {
      again = true;
      return;
    }
    running = drain()
      .catch((err) => log(`pg_net worker error: ${(err as Error).message}`))
      .finally(() => {
        running = null;
        if (again && !stopped) {
          again = false;
          wake();
        }
      });
  }

  await sql.listen("net_http_request_queue", () => wake());
  const poll = setInterval(wake, POLL_MS);
  const cleanup = setInterval(() => {
    sql`delete from net._http_response where created < now() - ${RESPONSE_TTL}::interval`.catch(
      () => {},
    );
  }, 60_000);
  wake();

  return {
    pause() {
      paused = true;
    },
    resume() {
      paused = false;
      wake();
    },
    get paused() {
      return paused;
    },
    async stop() {
      stopped = true;
      clearInterval(poll);
      clearInterval(cleanup);
      await running;
      await sql.end({ timeout: 2 });
    },
  };
}
