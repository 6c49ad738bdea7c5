/**
 * How a text a customer sends us is read: an opt-out, an opt-in, a request for help, or a
 * reply for a person, and in which language to answer it. The one place the keyword lists
 * live (pure; see sms_keywords_test.ts).
 *
 * The FCC's 2025 rule (47 CFR 64.1200(a)(10)) lets a customer revoke consent "by any reasonable
 * means", and Twilio itself only blocks a few single English words, so short messages that
 * plainly ask to stop in other words, English or Spanish, are opt-outs too. A stop word inside
 * an unrelated sentence ("I can't stop by today", "cancelar mi cita") is a reply: it goes to
 * staff instead.
 */

/** What a customer's text asks for. `sms_inbound_messages.intent`. */
export type InboundIntent = "opt_out" | "opt_in" | "help" | "reply";

/** The language a keyword reply is written in. */
export type SmsLanguage = "en" | "es";

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
 * Spanish opt-out keywords (accents folded: "BAJA", "Parar", "ALTO"): any of these alone stops
 * all texts, as does an English one in a Spanish message ("STOP por favor").
 */
export const SPANISH_OPT_OUT_KEYWORDS = [
  "parar",
  "paren",
  "pare",
  "alto",
  "basta",
  "cancelar",
  "cancelen",
  "baja",
  "detener",
  "detengan",
  "desuscribir",
  "desuscribirme",
] as const;

/** Spanish help keywords ("AYUDA", "Información"): the message alone asks who we are. */
export const SPANISH_HELP_KEYWORDS = ["ayuda", "informacion"] as const;

// No Spanish opt-in keywords. Only Twilio's own (START, YES, UNSTOP) lift the block Twilio puts
// on a phone that sent STOP: a COMENZAR would turn texts on in our ledger while Twilio still
// refuses them. And "Sí" is how a customer answers staff ("¿Le queda bien a las 9?"): read as
// an opt-in, that answer would never reach a person. The Spanish confirmation says "Responda
// START", which CTIA accepts.

/** A language's lists: how a text is read in it. */
interface KeywordLists {
  language: SmsLanguage;
  /** Words that alone, or with companions only, ask to stop. */
  stopWords: ReadonlySet<string>;
  /**
   * Words a short opt-out may carry besides its stop word: politeness, what to stop and who
   * for. A message with any other word is not a plain request to stop.
   */
  companions: ReadonlySet<string>;
  /** Requests to stop worded without a stop keyword. */
  phrases: readonly RegExp[];
  /** A stop word the sender negates ("don't stop", "no paren"): not a request to stop. */
  negated: RegExp;
  optIn: readonly string[];
  help: readonly string[];
}

/** Words a stop keyword alone counts as (after "opt out" is read as one word). */
const ENGLISH_STOP_WORDS = OPT_OUT_KEYWORDS.filter((k) => !k.includes(" "));

const ENGLISH: KeywordLists = {
  language: "en",
  stopWords: new Set<string>(ENGLISH_STOP_WORDS),
  // "please stop texting me", "unsubscribe me now thanks", "stop sending messages to this number"
  companions: new Set([
    ...["please", "pls", "plz", "now", "thanks", "thank", "you", "thx", "ty", "ok", "okay"],
    ...["asap", "just", "already", "all", "it", "hi", "hey", "hello", "sorry", "immediately"],
    ...["me", "my", "us", "this", "that", "number", "phone", "from", "your", "the", "list"],
    ...["text", "texts", "texting", "txt", "txts", "txting", "message", "messages", "messaging"],
    ...["msg", "msgs", "sms", "sending", "send", "contacting", "contact", "calling", "these"],
    ...["to", "i", "want", "would", "like", "wish", "id", "im", "anymore", "any", "more", "of"],
    ...["never", "remove", "take", "off", "out", "opt", "again", "ever", "no", "dont", "do"],
    "not",
  ]),
  phrases: [
    /\bno more (texts?|txts?|messages?|msgs?|sms|texting|messaging)\b/,
    /\b(dont|do not|never) (text|txt|message|msg|sms|contact)\b/,
    /\b(remove|take) me off\b/,
    /\bremove me\b/,
    /\bopt me out\b/,
  ],
  negated: /\b(dont|do not|never|cant|cannot|wont|not) (stop|quit|end|cancel)\b/,
  optIn: OPT_IN_KEYWORDS,
  help: HELP_KEYWORDS,
};

const SPANISH_VERBS_TO_SEND = "manden|mande|mandes|envien|envie|envies|escriban|escriba|" +
  "escribas|contacten|contacte|contactes";

const SPANISH: KeywordLists = {
  language: "es",
  stopWords: new Set<string>([...SPANISH_OPT_OUT_KEYWORDS, ...ENGLISH_STOP_WORDS]),
  // "ya no me manden más mensajes", "sáquenme de la lista por favor", "quiero darme de baja"
  companions: new Set([
    ...["por", "favor", "porfa", "porfavor", "xfa", "gracias", "ya", "ahora", "hola", "buenas"],
    ...["inmediatamente", "disculpe", "me", "mi", "nos", "a", "de", "del", "la", "el", "los"],
    ...["las", "lo", "este", "esta", "estos", "su", "sus", "todo", "todos", "mensajes"],
    ...["mensaje", "textos", "texto", "msj", "msjs", "sms", "numero", "telefono", "celular"],
    ...["lista", "suscripcion", "notificaciones", "avisos", "no", "nunca", "mas", "quiero"],
    ...["queremos", "recibir", "mandar", "mandarme", "enviar", "enviarme", "escribir"],
    ...["escribirme", "contactar", "contactarme", "dejen", "deje", "deja", "darme", "dar"],
    ...["denme", "salir", "saquenme", "saqueme", "quitenme", "quiteme", "borrenme", "borreme"],
    ...["eliminenme", "elimineme", "ustedes", "nada", "vuelvan", "vuelva"],
    ...SPANISH_VERBS_TO_SEND.split("|"),
  ]),
  phrases: [
    new RegExp(`\\b(no|nunca)( mas)? (me |nos )?(${SPANISH_VERBS_TO_SEND})\\b`),
    /\bno (me |nos )?vuelvan? a (mandar|enviar|escribir|contactar)\b/,
    /\bno (quiero|queremos) (recibir )?(mas )?(mensajes|textos|msjs|sms)\b/,
    /\bno mas (mensajes|textos|msjs|sms)\b/,
    /\bdej[ea]n? de (mandar|enviar|escribir|contactar)(me|nos)?\b/,
    /\b(saque|quite|borre|elimine)n?me\b/,
    /\bsalir de (la|su|esta) lista\b/,
  ],
  negated: new RegExp(
    "\\b(no|nunca|ni) ((me|lo|la|los|las|se) )?" +
      "((puedo|puede|podemos|pueden|quiero|queremos|voy a|vamos a|van a|vayan a) )?" +
      `(${[...SPANISH_OPT_OUT_KEYWORDS, ...ENGLISH_STOP_WORDS].join("|")})\\b`,
  ),
  optIn: [],
  help: SPANISH_HELP_KEYWORDS,
};

/** Longest short reply still read as a request to stop. */
const MAX_OPT_OUT_WORDS = 10;

/**
 * The text reduced to lowercase words: compatibility forms folded (NFKC), accents dropped
 * ("más" → "mas", "sáquenme" → "saquenme"), apostrophes dropped ("don't" → "dont"),
 * punctuation ("¿", "¡" included) and emoji removed, spaces collapsed, "opt-out" read as "optout".
 */
export function normalizeSmsText(text: string): string {
  return text.normalize("NFKC").toLowerCase()
    .normalize("NFD").replace(/\p{M}/gu, "")
    .replace(/['\u2019\u02bc`]/g, "")
    .replace(/[^\p{L}\p{N}]+/gu, " ")
    .trim()
    .replace(/\bopt out\b/g, "optout");
}

/**
 * Reads a customer's text (pure). Whole-message keywords first (`STOP!`, `stop 🛑`,
 * `Opt-Out`, `START`, `help?`, `¡ALTO!`, `AYUDA`), then short requests to stop in other words.
 */
export function classifyInboundSms(text: string): InboundIntent {
  return readInboundSms(text).intent;
}

/**
 * The language to answer a text's keyword in (pure): Spanish when only the Spanish lists read
 * it as an opt-out or a request for help ("PARAR", "STOP por favor", "AYUDA"), else English
 * (a lone "STOP" or "HELP" included: nothing in it says Spanish).
 */
export function inboundLanguage(text: string): SmsLanguage {
  return readInboundSms(text).language;
}

/** English first, so every English reading stands as it was; then Spanish. */
function readInboundSms(text: string): { intent: InboundIntent; language: SmsLanguage } {
  const normalized = normalizeSmsText(text);
  for (const lists of [ENGLISH, SPANISH]) {
    const intent = readAs(lists, normalized);
    if (intent !== "reply") return { intent, language: lists.language };
  }
  return { intent: "reply", language: "en" };
}

function readAs(lists: KeywordLists, normalized: string): InboundIntent {
  if (lists.stopWords.has(normalized)) return "opt_out";
  if (lists.optIn.includes(normalized)) return "opt_in";
  if (lists.help.includes(normalized)) return "help";
  return asksToStop(lists, normalized) ? "opt_out" : "reply";
}

/** A short message made only of a stop request and its companions. */
function asksToStop(lists: KeywordLists, normalized: string): boolean {
  const words = normalized.split(" ").filter((w) => w !== "");
  if (words.length === 0 || words.length > MAX_OPT_OUT_WORDS) return false;
  if (lists.negated.test(normalized)) return false;
  const phrased = lists.phrases.some((p) => p.test(normalized));
  const keyworded = words.some((w) => lists.stopWords.has(w));
  if (!phrased && !keyworded) return false;
  return words.every((w) => lists.stopWords.has(w) || lists.companions.has(w));
}
