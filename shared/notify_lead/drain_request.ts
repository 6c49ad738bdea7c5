/**
 * How any of our functions asks notify-lead for a drain (POST /notify-lead/drain): the hand-on
 * of a drain that stopped at its bound, served by a worker with budget left.
 */
export function drainRequester(
  functionsBaseUrl: string,
  webhookSecret: string,
) {
  return async () => {
    const res = await fetch(`${functionsBaseUrl}/notify-lead/drain`, {
      method: "POST",
      headers: { "x-webhook-secret": webhookSecret },
    });
    await res.body?.cancel();
    if (!res.ok) {
      throw new Error(`POST /notify-lead/drain answered ${res.status}`);
    }
  };
}
