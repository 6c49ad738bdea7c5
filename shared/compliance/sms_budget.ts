/**
 * The day's SMS budget (pure): `business_settings.sms_daily_budget_usd` against the spend of
 * the texts Twilio accepted today (`public.sms_spend_today`). Once it is spent, texts that are
 * not required stop until the shop's next day: a customer is confirmed by email only, and a
 * staff text is suppressed while the staff emails of the same lead go. The replies to STOP,
 * HELP and START are answered in Twilio's webhook and never reach this rule.
 */

/** Spend and budget of the shop's day, in US dollars. */
export interface SmsSpend {
  spentUsd: number;
  budgetUsd: number;
}

/** The share of the budget at which the admin is told, once. */
export const BUDGET_WARNING_SHARE = 0.8;

/** Why a text was stopped by the budget: `sms_budget_spent ($50.00 per day)`. */
export type SmsBudgetReason = `sms_budget_spent ($${string} per day)`;

/** Dollars as the admin reads them: `$50.00`, `$0.0083` for sub-cent amounts. */
export function usd(amount: number): `$${string}` {
  return `$${amount !== 0 && Math.abs(amount) < 0.01 ? amount.toFixed(4) : amount.toFixed(2)}`;
}

/** The budget is spent: what was spent today reached it (a budget of 0 stops every text). */
export function smsBudgetSpent(spend: SmsSpend): boolean {
  return spend.spentUsd >= spend.budgetUsd;
}

/** The suppression reason of a text the budget stops, or null while the budget lasts. */
export function smsBudgetStop(spend: SmsSpend): SmsBudgetReason | null {
  return smsBudgetSpent(spend) ? `sms_budget_spent (${usd(spend.budgetUsd)} per day)` : null;
}
