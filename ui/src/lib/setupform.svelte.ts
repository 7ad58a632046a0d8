// The setup screen's form, kept outside the component: switching the window's language
// re-creates the screens, and what the installer typed must survive that.
import type { FieldIssue, PrinterTestView, SetupDefaults, SetupForm } from "./bindings";
import type { TestState } from "./setup";

export const setupForm = $state({
  defaults: null as SetupDefaults | null,
  form: null as SetupForm | null,
  issues: [] as FieldIssue[],
  touched: {} as Record<string, boolean>,
  /** Show every problem, touched or not (after a save was refused). */
  all: false,
  test: null as TestState,
  printer: null as PrinterTestView | null,
});
