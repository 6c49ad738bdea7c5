/**
 * How a text a customer sends us is read: an opt-out, an opt-in, a request for help, or a
 * reply for a person. The one place the keyword lists live (pure; see sms_keywords_test.ts).
 *
 * The FCC's 2025 rule (47 CFR 64.1200(a)(10)) lets a customer revoke consent "by any reasonable
 * means", and Twilio itself only blocks a few single words, so short messages that plainly
 * ask to stop in other words are opt-outs too. A stop word inside an unrelated sentence ("I
 * can't stop by today", "cancel my appointment") is a reply: it goes to staff instead.
 */

/** What a customer's text asks for. `sms_inbound_messages.intent`. */
export type InboundIntent = "opt_out" | "opt_in" | "help" | "reply";

/** Opt-out keywords (Twilio's, CTIA's and the FCC's): any of these alone stops all texts. */
export const OPT_OUT_KEYWORDS = [
  "stop",
  "stopall",
  "unsubscribe",
  "cancel",
  "end",
  "quit",
  "revoke",
  "optout",
  "opt out",
] as const;

/** Opt-in keywords: the message alone turns texts back on. */
export const OPT_IN_KEYWORDS = ["start", "yes", "unstop"] as const;

/** Help keywords: the message alone asks who we are. */
export const HELP_KEYWORDS = ["help", "info"] as const;

/**
 * Words a short opt-out may carry besides its stop word: politeness, what to stop and who
 * for ("please stop texting me", "unsubscribe me now thanks", "stop sending messages to
 * this number"). A message with any other word is not a plain request to stop.
 */
const OPT_OUT_COMPANIONS = new Set([
  ...["please", "pls", "plz", "now", "thanks", "thank", "you", "thx", "ty", "ok", "okay"],
  ...["asap", "just", "already", "all", "it", "hi", "hey", "hello", "sorry", "immediately"],
  ...["me", "my", "us", "this", "that", "number", "phone", "from", "your", "the", "list"],
  ...["text", "texts", "texting", "txt", "txts", "txting", "message", "messages", "messaging"],
  ...["msg", "msgs", "sms", "sending", "send", "contacting", "contact", "calling", "these"],
  ...[
    "to",
    "i",
    "want",
    "would",
    "like",
    "wish",
    "id",
    "im",
    "anymore",
    "any",
    "more",
    "of",
    "never",
  ],
  ...["remove", "take", "off", "out", "opt", "again", "ever", "no", "dont", "do", "not"],
]);

/** Requests to stop worded without a stop keyword. */
const STOP_PHRASES = [
  /\bno more (texts?|txts?|messages?|msgs?|sms|texting|messaging)\b/,
  /\b(dont|do not|never) (text|txt|message|msg|sms|contact)\b/,
  /\b(remove|take) me off\b/,
  /\bremove me\b/,
  /\bopt me out\b/,
];

/** A stop word the sender negates ("don't stop"): not a request to stop. */
const NEGATED_STOP = /\b(dont|do not|never|cant|cannot|wont|not) (stop|quit|end|cancel)\b/;

/** Words a stop keyword alone counts as (after "opt out" is read as one word). */
const STOP_WORDS = new Set<string>(OPT_OUT_KEYWORDS.filter((k) => !k.includes(" ")));

/** Longest short reply still read as a request to stop. */
const MAX_OPT_OUT_WORDS = 10;

/**
 * The text reduced to lowercase words: compatibility forms folded (NFKC), apostrophes dropped
 * ("don't" → "dont"), punctuation and emoji removed, spaces collapsed, "opt-out" read as "optout".
 */
export function normalizeSmsText(text: string): string {
  return text.normalize("NFKC").toLowerCase()
    .replace(/['\u2019\u02bc`]/g, "")
    .replace(/[^\p{L}\p{N}]+/gu, " ")
    .trim()
    .replace(/\bopt out\b/g, "optout");
}

/**
 * Reads a customer's text (pure). Whole-message keywords first (`STOP!`, `stop 🛑`,
 * `Opt-Out`, `START`, `help?`), then short requests to stop in other words.
 */
export function classifyInboundSms(text: string): InboundIntent {
  const normalized = normalizeSmsText(text);
  if (STOP_WORDS.has(normalized)) return "opt_out";
  if ((OPT_IN_KEYWORDS as readonly string[]).includes(normalized)) return "opt_in";
  if ((HELP_KEYWORDS as readonly string[]).includes(normalized)) return "help";
  return asksToStop(normalized) ? "opt_out" : "reply";
}

/** A short message made only of a stop request and its companions. */
function asksToStop(normalized: string): boolean {
  const words = normalized.split(" ").filter((w) => w !== "");
  if (words.length === 0 || words.length > MAX_OPT_OUT_WORDS) return false;
  if (NEGATED_STOP.test(normalized)) return false;
  const phrased = STOP_PHRASES.some((p) => p.test(normalized));
  const keyworded = words.some((w) => STOP_WORDS.has(w));
  if (!phrased && !keyworded) return false;
  return words.every((w) => STOP_WORDS.has(w) || OPT_OUT_COMPANIONS.has(w));
}
