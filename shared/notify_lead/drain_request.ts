/**
 * How our functions ask for work to go on in another request, which the runtime serves in a
 * worker with budget left: a drain of notify-lead's (POST /notify-lead/drain), the hand-on of
 * a drain that stopped at its bound, or more of send-reminders' planning.
 */
export function handOnRequester(
  functionsBaseUrl: string,
  webhookSecret: string,
  path: string,
) {
  return async () => {
    const res = await fetch(`${functionsBaseUrl}/${path}`, {
      method: "POST",
      headers: { "x-webhook-secret": webhookSecret },
    });
    await res.body?.cancel();
    if (!res.ok) {
      throw new Error(`POST /${path} answered ${res.status}`);
    }
  };
}

/** A drain of notify-lead's. */
export function drainRequester(functionsBaseUrl: string, webhookSecret: string) {
  return handOnRequester(functionsBaseUrl, webhookSecret, "notify-lead/drain");
}
