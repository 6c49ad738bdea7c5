/**
 * Serves a fetch-style handler over `node:http`. Deno.serve always answers (a thrown error
 * becomes a 500), but a "drop" fault must look like a network failure to the SDK: here the
 * socket can be destroyed before a single byte of answer is written.
 */
import http from "node:http";
import type { Answer } from "./fake_endpoint.ts";
import { DROP } from "./fake_endpoint.ts";

export interface RunningServer {
  /** `http://<hostname>:<port>`. */
  url: string;
  closeIdleConnections(): void;
  close(): Promise<void>;
}

export interface ServeOptions {
  onError: (error: unknown) => void;
  /** Checked per answer: true sends `Connection: close` and closes the connection after it. */
  closeConnection?: () => boolean;
}

function toRequest(
  req: http.IncomingMessage,
  origin: string,
  body: Uint8Array<ArrayBuffer>,
): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) headers.append(name, v);
  }
  const hasBody = req.method !== "GET" && req.method !== "HEAD";
  return new Request(new URL(req.url ?? "/", origin), {
    method: req.method,
    headers,
    body: hasBody ? body : undefined,
  });
}

function readBody(req: http.IncomingMessage): Promise<Uint8Array<ArrayBuffer>> {
  return new Promise((resolve, reject) => {
    const chunks: Uint8Array[] = [];
    req.on("data", (chunk: Uint8Array) => chunks.push(chunk));
    req.on("end", () => {
      const out = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
      let offset = 0;
      for (const chunk of chunks) {
        out.set(chunk, offset);
        offset += chunk.byteLength;
      }
      resolve(out);
    });
    req.on("error", reject);
  });
}

/** Listens on `hostname:port` (0 = ephemeral) and answers with `handler`. */
export async function serveOverNodeHttp(
  hostname: string,
  port: number,
  handler: (req: Request) => Promise<Answer>,
  opts: ServeOptions,
): Promise<RunningServer> {
  let origin = "";
  const server = http.createServer(async (req, res) => {
    try {
      const answer = await handler(toRequest(req, origin, await readBody(req)));
      if (answer === DROP) {
        req.socket.destroy();
        return;
      }
      const body = new Uint8Array(await answer.arrayBuffer());
      const headers: Record<string, string> = {};
      for (const [name, value] of answer.headers) headers[name] = value;
      if (req.method !== "HEAD") headers["content-length"] = String(body.byteLength);
      if (opts.closeConnection?.()) headers["connection"] = "close";
      res.writeHead(answer.status, headers);
      res.end(req.method === "HEAD" ? undefined : body);
    } catch (error) {
      opts.onError(error);
      if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" });
      res.end("fake server error");
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, hostname, () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === "string") {
    throw new Error("Cannot read the fake server's address");
  }
  origin = `http://${hostname}:${address.port}`;
  return {
    url: origin,
    closeIdleConnections: () => server.closeIdleConnections(),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
