// Light/dark: follows the system unless the user picked one (index.html applies it before paint).
import { Store } from "./store.ts";

export type ThemeChoice = "system" | "light" | "dark";
const KEY = "modelhub.theme";
const media = typeof matchMedia !== "undefined" ? matchMedia("(prefers-color-scheme: dark)") : null;

function stored(): ThemeChoice {
  try {
    const v = localStorage.getItem(KEY);
    return v === "light" || v === "dark" ? v : "system";
  } catch {
    return "system";
  }
}

export const theme = new Store<ThemeChoice>(stored());

function apply() {
  const choice = theme.get();
  const dark = choice === "dark" || (choice === "system" && !!media?.matches);
  document.documentElement.dataset.theme = dark ? "dark" : "light";
}

export function setTheme(choice: ThemeChoice): void {
  try {
    if (choice === "system") localStorage.removeItem(KEY);
    else localStorage.setItem(KEY, choice);
  } catch {}
  theme.set(choice);
  apply();
}

export function startTheme(): void {
  media?.addEventListener("change", apply);
  apply();
}
