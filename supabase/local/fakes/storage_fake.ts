/**
 * A fake of the Supabase Storage API calls supabase-js makes for our photos: upload, download,
 * createSignedUrl(s) and signed downloads, under `/storage/v1`. Every bucket exists.
 *
 * Errors follow Storage's legacy rendering: HTTP 400 for everything but a 500, with the real
 * status as a string in the body: `{"statusCode":"404","code":"NoSuchKey","error":…,"message":…}`.
 */
import type { Incoming, Provider } from "./fake_endpoint.ts";
import { uuid } from "./ids.ts";
import { multipartBoundary, parseMultipart } from "./multipart.ts";
import type { SignedUrlSigner } from "./signed_url_token.ts";

export interface StorageFakeOptions {
  serviceRoleKey: string;
  /** The gateway's origin, e.g. "http://127.0.0.1:54321", for the `url` of each upload. */
  publicUrl: string;
  signer: SignedUrlSigner;
  now: () => number;
}

/** An uploaded object, as `GET /storage/v1/__fake/messages` lists it (without its bytes). */
export interface FakeUpload {
  id: string;
  bucket: string;
  path: string;
  content_type: string;
  size: number;
  cache_control: string;
  created_at: string;
  /** Authenticated download URL through the gateway. */
  url: string;
}

interface StoredObject extends FakeUpload {
  bytes: Uint8Array<ArrayBuffer>;
}

export interface StorageFake extends Provider {
  messages(): FakeUpload[];
  /** The stored object, for the inbox page. */
  object(bucket: string, path: string): StoredObject | undefined;
}

const prefix = "/storage/v1";

function storageError(statusCode: number, code: string, message: string, error = code): Response {
  return Response.json(
    { statusCode: String(statusCode), code, error, message },
    { status: statusCode === 500 ? 500 : 400 },
  );
}

const errors = {
  missingAuth: () =>
    storageError(403, "AccessDenied", "Missing authorization header", "Unauthorized"),
  invalidJwt: (message: string) => storageError(400, "InvalidJWT", message),
  invalidSignature: () => storageError(400, "InvalidSignature", "Invalid signature"),
  noSuchKey: () => storageError(404, "NoSuchKey", "Object not found", "not_found"),
  duplicate: () =>
    storageError(409, "KeyAlreadyExists", "The resource already exists", "Duplicate"),
  invalidRequest: (message: string) => storageError(400, "InvalidRequest", message),
  routeNotFound: (method: string, path: string) =>
    Response.json({
      statusCode: 404,
      error: "Not Found",
      message: `Route ${method}:${path} not found`,
    }, {
      status: 404,
    }),
};

/** Storage's answer for a bare status (used by faults); a 429 carries retry-after. */
function storageGenericError(status: number): Response {
  const code = status >= 500 ? "InternalError" : status === 429 ? "SlowDown" : "InvalidRequest";
  const message = status >= 500
    ? "Internal server error"
    : status === 429
    ? "Please reduce your request rate."
    : "Invalid request";
  const body = { statusCode: String(status), code, error: code, message };
  return Response.json(body, {
    status,
    headers: status === 429 ? { "retry-after": "1" } : undefined,
  });
}

function decodeSegments(rest: string): string {
  return rest.split("/").filter((s) => s !== "").map(decodeURIComponent).join("/");
}

function fileFromUpload(
  incoming: Incoming,
): { bytes: Uint8Array<ArrayBuffer>; type: string; cacheControl?: string } {
  const type = incoming.headers.get("content-type") ?? "";
  const boundary = type.startsWith("multipart/form-data") ? multipartBoundary(type) : undefined;
  if (boundary) {
    const parts = parseMultipart(incoming.raw, boundary);
    const file = parts.find((p) => p.filename !== null);
    const cacheControl = parts.find((p) => p.name === "cacheControl" && p.filename === null);
    return {
      bytes: file?.bytes ?? new Uint8Array(0),
      type: file?.contentType || "application/octet-stream",
      cacheControl: cacheControl
        ? `max-age=${new TextDecoder().decode(cacheControl.bytes)}`
        : undefined,
    };
  }
  return {
    bytes: new Uint8Array(incoming.raw),
    type: type || "application/octet-stream",
    cacheControl: incoming.headers.get("cache-control") ?? undefined,
  };
}

function expiresInOf(body: unknown): number | undefined {
  const value = (body as { expiresIn?: unknown } | null)?.expiresIn;
  return typeof value === "number" && Number.isInteger(value) && value >= 1 ? value : undefined;
}

export function createStorageFake(opts: StorageFakeOptions): StorageFake {
  const objects = new Map<string, StoredObject>();
  const keyOf = (bucket: string, path: string) => `${bucket}/${path}`;

  function authorized(headers: Headers): Response | undefined {
    const auth = headers.get("authorization");
    // supabase-js sends both; the API gateway accepts the key in either header.
    const presented = auth !== null ? auth.replace(/^Bearer\s+/i, "") : headers.get("apikey");
    if (presented === null || presented === "") return errors.missingAuth();
    if (presented !== opts.serviceRoleKey) return errors.invalidJwt("invalid signature");
    return undefined;
  }

  function download(o: StoredObject, downloadName: string | null): Response {
    const headers: Record<string, string> = {
      "content-type": o.content_type,
      "cache-control": o.cache_control,
      "etag": `"${o.id}"`,
      "last-modified": new Date(o.created_at).toUTCString(),
    };
    if (downloadName !== null) {
      headers["content-disposition"] = `attachment; filename="${
        downloadName || o.path.split("/").pop()
      }"`;
    }
    return new Response(o.bytes, { headers });
  }

  async function signedUrlFor(bucket: string, path: string, expiresIn: number): Promise<string> {
    const token = await opts.signer.sign(keyOf(bucket, path), expiresIn);
    return `/object/sign/${bucket}/${path}?token=${token}`;
  }

  async function handle(incoming: Incoming): Promise<Response> {
    const { method, url } = incoming;
    if (!url.pathname.startsWith(`${prefix}/`)) return errors.routeNotFound(method, url.pathname);
    const route = url.pathname.slice(prefix.length);

    // Signed downloads carry their authority in the token, not in a header.
    const signedMatch = route.match(/^\/object\/sign\/([^/]+)\/(.+)$/);
    if ((method === "GET" || method === "HEAD") && signedMatch) {
      const bucket = decodeURIComponent(signedMatch[1]);
      const path = decodeSegments(signedMatch[2]);
      const token = url.searchParams.get("token");
      if (!token) {
        return storageError(
          400,
          "InvalidRequest",
          "querystring must have required property 'token'",
          "Bad Request",
        );
      }
      const problem = await opts.signer.verify(token, keyOf(bucket, path));
      if (problem === "url mismatch") return errors.invalidSignature();
      if (problem) return errors.invalidJwt(problem);
      const o = objects.get(keyOf(bucket, path));
      return o ? download(o, url.searchParams.get("download")) : errors.noSuchKey();
    }

    const denied = authorized(incoming.headers);
    if (denied) return denied;

    if (method === "POST" && route.startsWith("/object/sign/")) {
      const expiresIn = expiresInOf(incoming.body);
      if (expiresIn === undefined) {
        return errors.invalidRequest("body/expiresIn must be an integer >= 1");
      }
      const many = route.match(/^\/object\/sign\/([^/]+)\/?$/);
      if (many) {
        const bucket = decodeURIComponent(many[1]);
        const paths = (incoming.body as { paths?: unknown }).paths;
        if (!Array.isArray(paths) || !paths.every((p) => typeof p === "string")) {
          return errors.invalidRequest("body/paths must be an array of strings");
        }
        return Response.json(
          await Promise.all(
            paths.map(async (path: string) =>
              objects.has(keyOf(bucket, path))
                ? { error: null, path, signedURL: await signedUrlFor(bucket, path, expiresIn) }
                : {
                  error: "Either the object does not exist or you do not have access to it",
                  path,
                  signedURL: null,
                }
            ),
          ),
        );
      }
      const one = route.match(/^\/object\/sign\/([^/]+)\/(.+)$/)!;
      const bucket = decodeURIComponent(one[1]);
      const path = decodeSegments(one[2]);
      if (!objects.has(keyOf(bucket, path))) return errors.noSuchKey();
      return Response.json({ signedURL: await signedUrlFor(bucket, path, expiresIn) });
    }

    const objectMatch = route.match(/^\/object\/(?:authenticated\/)?([^/]+)\/(.+)$/);
    if (objectMatch) {
      const bucket = decodeURIComponent(objectMatch[1]);
      const path = decodeSegments(objectMatch[2]);
      const key = keyOf(bucket, path);
      if (method === "GET" || method === "HEAD") {
        const o = objects.get(key);
        return o ? download(o, url.searchParams.get("download")) : errors.noSuchKey();
      }
      if (method === "POST" || method === "PUT") {
        const upsert = method === "PUT" || incoming.headers.get("x-upsert") === "true";
        if (objects.has(key) && !upsert) return errors.duplicate();
        const file = fileFromUpload(incoming);
        const id = uuid();
        objects.set(key, {
          id,
          bucket,
          path,
          content_type: file.type,
          size: file.bytes.byteLength,
          cache_control: file.cacheControl ?? "max-age=3600",
          created_at: new Date(opts.now()).toISOString(),
          url: `${opts.publicUrl.replace(/\/+$/, "")}${prefix}/object/${bucket}/${path}`,
          bytes: file.bytes,
        });
        return Response.json({ Id: id, Key: key });
      }
    }

    const removeMatch = route.match(/^\/object\/([^/]+)\/?$/);
    if (method === "DELETE" && removeMatch) {
      const bucket = decodeURIComponent(removeMatch[1]);
      const prefixes = (incoming.body as { prefixes?: unknown } | null)?.prefixes;
      if (!Array.isArray(prefixes)) return errors.invalidRequest("body/prefixes must be an array");
      const removed = prefixes.flatMap((path) => {
        const o = objects.get(keyOf(bucket, String(path)));
        if (!o) return [];
        objects.delete(keyOf(bucket, String(path)));
        return [{ name: o.path, bucket_id: o.bucket, id: o.id, created_at: o.created_at }];
      });
      return Response.json(removed);
    }

    return errors.routeNotFound(method, url.pathname);
  }

  return {
    name: "storage",
    handle,
    faultResponse: storageGenericError,
    messages: () => [...objects.values()].map(({ bytes: _bytes, ...upload }) => upload),
    object: (bucket, path) => objects.get(keyOf(bucket, path)),
    reset: () => objects.clear(),
    describe(incoming) {
      const m = incoming.url.pathname.match(
        /^\/storage\/v1\/object\/(?:sign\/|authenticated\/)?(.+)$/,
      );
      return m ? `object=${decodeURIComponent(m[1])}` : "";
    },
  };
}
