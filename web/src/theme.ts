/** Light or dark: the system's preference until the user picks one, remembered in localStorage. */
import { useEffect, useState } from 'preact/hooks';

export type ThemeChoice = 'light' | 'dark' | 'system';
const KEY = 'saaswatch.theme';
const EVT = 'saaswatch:theme';

const media = () => window.matchMedia('(prefers-color-scheme: dark)');

export function storedChoice(): ThemeChoice {
  const v = localStorage.getItem(KEY);
  return v === 'light' || v === 'dark' ? v : 'system';
}

export function effectiveTheme(choice = storedChoice()): 'light' | 'dark' {
  return choice === 'system' ? (media().matches ? 'dark' : 'light') : choice;
}

export function applyTheme(): void {
  document.documentElement.dataset['theme'] = effectiveTheme();
}

export function setChoice(choice: ThemeChoice): void {
  if (choice === 'system') localStorage.removeItem(KEY);
  else localStorage.setItem(KEY, choice);
  applyTheme();
  window.dispatchEvent(new Event(EVT));
}

/** The theme in effect, re-rendering when the user or the system changes it. */
export function useTheme(): ['light' | 'dark', ThemeChoice] {
  const [state, setState] = useState(() => [effectiveTheme(), storedChoice()] as ['light' | 'dark', ThemeChoice]);
  useEffect(() => {
    const on = () => {
      applyTheme();
      setState([effectiveTheme(), storedChoice()]);
    };
    window.addEventListener(EVT, on);
    const m = media();
    m.addEventListener('change', on);
    return () => {
      window.removeEventListener(EVT, on);
      m.removeEventListener('change', on);
    };
  }, []);
  return state;
}
