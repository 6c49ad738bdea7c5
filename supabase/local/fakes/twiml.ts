/**
 * Reads a messaging TwiML answer the way Twilio acts on it: each `<Message>` is one reply,
 * its text either inline or in `<Body>`, with `<Media>` URLs for an MMS. Only what the fake
 * needs: no `<Redirect>`, no validation beyond "is this a `<Response>` document".
 */

/** One `<Message>` of a TwiML answer. */
export interface TwimlReply {
  body: string;
  media: string[];
  /** The `to` attribute, when the reply goes to someone other than the sender. */
  to?: string;
}

const entities: Record<string, string> = {
  amp: "&",
  lt: "<",
  gt: ">",
  quot: '"',
  apos: "'",
};

/** Resolves XML character and entity references. */
export function xmlUnescape(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-zA-Z]+);/g, (whole, ref: string) => {
    if (ref.startsWith("#x")) return String.fromCodePoint(parseInt(ref.slice(2), 16));
    if (ref.startsWith("#")) return String.fromCodePoint(parseInt(ref.slice(1), 10));
    return entities[ref] ?? whole;
  });
}

/** Text content of an XML fragment: CDATA kept as is, tags dropped, references resolved. */
function textContent(fragment: string): string {
  return fragment.split(/(<!\[CDATA\[[\s\S]*?\]\]>)/).map((part) =>
    part.startsWith("<![CDATA[")
      ? part.slice("<![CDATA[".length, -"]]>".length)
      : xmlUnescape(part.replace(/<[^>]*>/g, ""))
  ).join("");
}

function attribute(attrs: string, name: string): string | undefined {
  const match = attrs.match(new RegExp(`\\b${name}\\s*=\\s*(?:"([^"]*)"|'([^']*)')`));
  return match ? xmlUnescape(match[1] ?? match[2]) : undefined;
}

/**
 * The replies a TwiML answer asks for, in order (`<Response/>` → none), or undefined when the
 * text is not a `<Response>` document (Twilio: error 12100, nothing is sent).
 */
export function parseMessagingTwiml(xml: string): TwimlReply[] | undefined {
  const doc = xml.replace(/<\?xml[\s\S]*?\?>/, "").replace(/<!--[\s\S]*?-->/g, "").trim();
  if (/^<Response\s*\/>$/.test(doc)) return [];
  const root = doc.match(/^<Response(?:\s[^>]*)?>([\s\S]*)<\/Response>$/);
  if (!root) return undefined;
  const replies: TwimlReply[] = [];
  const messages = /<Message(\s[^>]*?)?(?:\/>|>([\s\S]*?)<\/Message>)/g;
  for (const [, attrs = "", inner = ""] of root[1].matchAll(messages)) {
    const media = [...inner.matchAll(/<Media(?:\s[^>]*)?>([\s\S]*?)<\/Media>/g)].map((m) =>
      textContent(m[1]).trim()
    );
    const bodies = [...inner.matchAll(/<Body(?:\s[^>]*)?>([\s\S]*?)<\/Body>/g)];
    const body = bodies.length > 0
      ? bodies.map((b) => textContent(b[1])).join("")
      : textContent(inner.replace(/<Media(?:\s[^>]*)?>[\s\S]*?<\/Media>/g, "")).trim();
    const to = attribute(attrs, "to");
    replies.push(to === undefined ? { body, media } : { body, media, to });
  }
  return replies;
}
