/**
 * Every message the fake Twilio holds, in both directions, and the views of it: the REST
 * resource and list page (`Messages.json`, which, like Twilio's, shows inbound messages and
 * replies too), the sends accepted through the API (`GET /__fake/messages`) and the
 * conversations per phone (`GET /__fake/conversations`, the inbox).
 */
import { rfc2822 } from "./ids.ts";

export const apiVersion = "2010-04-01";

/** Twilio's names: our API sends, the customer's texts, and replies to them (TwiML or Twilio's). */
export type Direction = "outbound-api" | "inbound" | "outbound-reply";

export type MessageStatus =
  | "accepted"
  | "queued"
  | "sent"
  | "delivered"
  | "undelivered"
  | "failed"
  | "received";

/** A media attachment of an MMS. */
export interface FakeMedia {
  url: string;
  content_type: string;
}

/** An SMS accepted through the REST API, as `GET /__fake/messages` lists it. */
export interface FakeSms {
  sid: string;
  to: string;
  from: string | null;
  messaging_service_sid: string | null;
  body: string;
  status: MessageStatus;
  /** Set when a carrier failure ends the message `undelivered` or `failed` (e.g. 30006). */
  error_code: number | null;
  status_callback: string | null;
  num_segments: number;
  date_created: string;
}

/** One message of a conversation, oldest first, as `GET /__fake/conversations` lists it. */
export interface FakeConversationMessage {
  sid: string;
  direction: Direction;
  /** Only for an `outbound-reply`: true when Twilio itself answered a keyword (STOP, HELP…). */
  auto_reply: boolean;
  from: string | null;
  to: string;
  body: string;
  media: FakeMedia[];
  status: MessageStatus;
  error_code: number | null;
  date_created: string;
}

/** Every message to or from one customer phone, oldest first. */
export interface FakeConversation {
  phone: string;
  messages: FakeConversationMessage[];
}

export interface StoredMessage {
  sid: string;
  direction: Direction;
  auto_reply: boolean;
  to: string;
  from: string | null;
  messaging_service_sid: string | null;
  body: string;
  media: FakeMedia[];
  status: MessageStatus;
  error_code: number | null;
  status_callback: string | null;
  num_segments: number;
  created_ms: number;
  updated_ms: number;
  sent_ms: number | null;
}

/** The customer's side of a message: who sent it in, or who it went out to. */
function customerPhone(m: StoredMessage): string {
  return m.direction === "inbound" ? m.from! : m.to;
}

const errorMessages: Record<number, string> = {
  21610: "Attempt to send to unsubscribed recipient",
  30003: "Unreachable destination handset",
  30005: "Unknown destination handset",
  30006: "Landline or unreachable carrier",
  30007: "Message filtered",
  30008: "Unknown error",
};

/** The messages of one fake account, in the order they were created. */
export class MessageStore {
  #messages = new Map<string, StoredMessage>();

  constructor(private readonly accountSid: string) {}

  get accountPath(): string {
    return `/${apiVersion}/Accounts/${this.accountSid}`;
  }

  add(m: StoredMessage): StoredMessage {
    this.#messages.set(m.sid, m);
    return m;
  }

  get(sid: string): StoredMessage | undefined {
    return this.#messages.get(sid);
  }

  clear(): void {
    this.#messages.clear();
  }

  /** Oldest first; messages created in the same millisecond keep their order. */
  #all(): StoredMessage[] {
    return [...this.#messages.values()].sort((a, b) => a.created_ms - b.created_ms);
  }

  /** The sends accepted through the REST API. */
  sent(): FakeSms[] {
    return this.#all().filter((m) => m.direction === "outbound-api").map((m) => ({
      sid: m.sid,
      to: m.to,
      from: m.from,
      messaging_service_sid: m.messaging_service_sid,
      body: m.body,
      status: m.status,
      error_code: m.error_code,
      status_callback: m.status_callback,
      num_segments: m.num_segments,
      date_created: new Date(m.created_ms).toISOString(),
    }));
  }

  /** Per customer phone, every message oldest first; phones in the order they first appear. */
  conversations(): FakeConversation[] {
    const byPhone = new Map<string, FakeConversationMessage[]>();
    for (const m of this.#all()) {
      const phone = customerPhone(m);
      const messages = byPhone.get(phone) ?? [];
      messages.push({
        sid: m.sid,
        direction: m.direction,
        auto_reply: m.auto_reply,
        from: m.from,
        to: m.to,
        body: m.body,
        media: m.media.map((media) => ({ ...media })),
        status: m.status,
        error_code: m.error_code,
        date_created: new Date(m.created_ms).toISOString(),
      });
      byPhone.set(phone, messages);
    }
    return [...byPhone].map(([phone, messages]) => ({ phone, messages }));
  }

  /** The Message resource, as `GET …/Messages/{Sid}.json` answers it. */
  resource(m: StoredMessage) {
    const base = `${this.accountPath}/Messages/${m.sid}`;
    return {
      account_sid: this.accountSid,
      api_version: apiVersion,
      body: m.body,
      date_created: rfc2822(m.created_ms),
      date_sent: m.sent_ms === null ? null : rfc2822(m.sent_ms),
      date_updated: rfc2822(m.updated_ms),
      direction: m.direction,
      error_code: m.error_code,
      error_message: m.error_code === null ? null : errorMessages[m.error_code] ?? null,
      from: m.from,
      messaging_service_sid: m.messaging_service_sid,
      num_media: String(m.media.length),
      num_segments: String(m.num_segments),
      price: null,
      price_unit: "USD",
      sid: m.sid,
      status: m.status,
      subresource_uris: { media: `${base}/Media.json` },
      to: m.to,
      uri: `${base}.json`,
    };
  }

  /**
   * `GET Messages.json`: newest first, filtered by To, From and DateSent (a day, or with `<` /
   * `>` a bound, inclusive). A message not yet handed to the carrier has no date_sent, so no
   * DateSent filter matches it, as on Twilio.
   */
  listPage(url: URL) {
    const q = url.searchParams;
    const day = (value: string) => value.slice(0, 10);
    const sentOn = q.get("DateSent");
    const sentBefore = q.get("DateSent<");
    const sentAfter = q.get("DateSent>");
    const matches = this.#all().filter((m) => {
      if (q.has("To") && m.to !== q.get("To")) return false;
      if (q.has("From") && m.from !== q.get("From")) return false;
      if (!sentOn && !sentBefore && !sentAfter) return true;
      if (m.sent_ms === null) return false;
      const sent = new Date(m.sent_ms).toISOString();
      if (sentOn && day(sent) !== day(sentOn)) return false;
      if (sentBefore && sent > new Date(sentBefore).toISOString()) return false;
      if (sentAfter && sent < new Date(sentAfter).toISOString()) return false;
      return true;
    }).reverse();
    const pageSize = Math.min(Math.max(Number(q.get("PageSize") ?? 50) || 50, 1), 1000);
    const page = Math.max(Number(q.get("Page") ?? 0) || 0, 0);
    const slice = matches.slice(page * pageSize, (page + 1) * pageSize);
    const pageUri = (n: number) => {
      const next = new URLSearchParams(q);
      next.set("PageSize", String(pageSize));
      next.set("Page", String(n));
      return `${this.accountPath}/Messages.json?${next}`;
    };
    return {
      messages: slice.map((m) => this.resource(m)),
      end: page * pageSize + Math.max(slice.length - 1, 0),
      first_page_uri: pageUri(0),
      next_page_uri: (page + 1) * pageSize < matches.length ? pageUri(page + 1) : null,
      page,
      page_size: pageSize,
      previous_page_uri: page > 0 ? pageUri(page - 1) : null,
      start: page * pageSize,
      uri: `${this.accountPath}/Messages.json?${q}`,
    };
  }
}
