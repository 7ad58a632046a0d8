import { t, type Key } from "./i18n";
import { asTillError } from "./transport";

/** The message a cashier sees for an error from the till. */
export function friendly(e: unknown): string {
  const err = asTillError(e);
  return t(`err.${err.code}` as Key, { message: err.message });
}
