/**
 * Tokens of signed Storage URLs, shaped like Supabase Storage's: an HS256 JWT whose payload
 * is `{ url: "<bucket>/<path>", iat, exp }`. Each fakes instance signs with its own random
 * secret, so a URL from another run is refused like one signed with a rotated key.
 */

const encoder = new TextEncoder();

function base64url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(
    /=+$/,
    "",
  );
}

function fromBase64url(text: string): Uint8Array<ArrayBuffer> {
  const b64 = text.replace(/-/g, "+").replace(/_/g, "/").padEnd(
    Math.ceil(text.length / 4) * 4,
    "=",
  );
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
}

/** Why a token was refused, in Storage's words. */
export type TokenProblem = "jwt malformed" | "invalid signature" | "jwt expired" | "url mismatch";

export interface SignedUrlSigner {
  /** A token for `objectKey` ("bucket/path") valid for `expiresIn` seconds. */
  sign(objectKey: string, expiresIn: number): Promise<string>;
  /** Undefined when the token is valid for `objectKey` now, else the problem. */
  verify(token: string, objectKey: string): Promise<TokenProblem | undefined>;
}

export async function createSignedUrlSigner(now: () => number): Promise<SignedUrlSigner> {
  const key = await crypto.subtle.generateKey({ name: "HMAC", hash: "SHA-256" }, false, [
    "sign",
    "verify",
  ]);
  const header = base64url(encoder.encode(JSON.stringify({ alg: "HS256", typ: "JWT" })));

  return {
    async sign(objectKey, expiresIn) {
      const iat = Math.floor(now() / 1000);
      const payload = base64url(
        encoder.encode(JSON.stringify({ url: objectKey, iat, exp: iat + expiresIn })),
      );
      const signature = await crypto.subtle.sign(
        "HMAC",
        key,
        encoder.encode(`${header}.${payload}`),
      );
      return `${header}.${payload}.${base64url(new Uint8Array(signature))}`;
    },

    async verify(token, objectKey) {
      const parts = token.split(".");
      if (parts.length !== 3) return "jwt malformed";
      let claims: { url?: unknown; exp?: unknown };
      let signature: Uint8Array<ArrayBuffer>;
      try {
        claims = JSON.parse(new TextDecoder().decode(fromBase64url(parts[1])));
        signature = fromBase64url(parts[2]);
      } catch {
        return "jwt malformed";
      }
      const signed = encoder.encode(`${parts[0]}.${parts[1]}`);
      if (!(await crypto.subtle.verify("HMAC", key, signature, signed))) return "invalid signature";
      if (typeof claims.exp !== "number" || claims.exp * 1000 <= now()) return "jwt expired";
      if (claims.url !== objectKey) return "url mismatch";
      return undefined;
    },
  };
}
