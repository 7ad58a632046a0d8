import { afterEach, describe, expect, it, beforeEach } from "vitest";
import { cleanup, render, fireEvent, screen } from "@testing-library/svelte";
import ModifierPicker from "./ModifierPicker.svelte";
import { app } from "../lib/state.svelte";
import { setLanguage } from "../lib/i18n";

const whisky = {
  sku: "WHISKY",
  name: "Whisky",
  price: 1100,
  weighed: false,
  category: "Spirits",
  tax_class: "standard",
  barcode: null,
  stock: null,
  modifier_groups: [
    { id: "size", name: "Size", min: 1, max: 1, options: [{ id: "single", name: "Single", price_delta: 0 }, { id: "double", name: "Double", price_delta: 400 }] },
    { id: "ice", name: "Ice", min: 1, max: 1, options: [{ id: "neat", name: "Neat", price_delta: 0 }, { id: "rocks", name: "Rocks", price_delta: 0 }] },
    { id: "mixer", name: "Mixer", min: 0, max: 2, options: [{ id: "tonic", name: "Tonic", price_delta: 150 }, { id: "ginger", name: "Ginger ale", price_delta: 150 }, { id: "soda", name: "Soda", price_delta: 50 }] },
  ],
};

describe("the modifier picker", () => {
  afterEach(() => cleanup());
  beforeEach(() => {
    setLanguage("en");
    app.info = { currency: "EUR", currency_exponent: 2 } as any;
  });

  it("starts required one-of groups at their first option, prices the choices and sends them", async () => {
    let sent: any = null;
    render(ModifierPicker, { product: whisky as any, onadd: (c: any) => (sent = c), oncancel: () => {} });
    const add = screen.getByTestId("modifier-add");
    expect(add.textContent).toContain("EUR 11.00");
    const option = (id: string) => screen.getAllByTestId("modifier-option").find((b) => b.getAttribute("data-option") === id)!;
    await fireEvent.click(option("double"));
    await fireEvent.click(option("rocks"));
    await fireEvent.click(option("tonic"));
    await fireEvent.click(option("soda"));
    // At most two mixers: a third is not taken.
    await fireEvent.click(option("ginger"));
    expect(add.textContent).toContain("EUR 17.00");
    await fireEvent.click(add);
    expect(sent).toEqual([
      { group_id: "size", option_id: "double" },
      { group_id: "ice", option_id: "rocks" },
      { group_id: "mixer", option_id: "tonic" },
      { group_id: "mixer", option_id: "soda" },
    ]);
  });

  it("will not add the drink while a required choice is open", async () => {
    let sent: any = null;
    render(ModifierPicker, { product: whisky as any, onadd: (c: any) => (sent = c), oncancel: () => {} });
    const option = (id: string) => screen.getAllByTestId("modifier-option").find((b) => b.getAttribute("data-option") === id)!;
    await fireEvent.click(option("single")); // un-choose the size
    expect(screen.getByTestId("modifier-missing").textContent).toContain("Size");
    const add = screen.getByTestId("modifier-add") as HTMLButtonElement;
    expect(add.disabled).toBe(true);
    await fireEvent.click(add);
    expect(sent).toBeNull();
  });
});
