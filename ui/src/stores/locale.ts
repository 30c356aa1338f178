import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { AppLocale } from '../format';
import { localStore } from './storage';

export const LOCALE_KEY = 'neuroerp.locale';
export const LOCALES: readonly AppLocale[] = ['de', 'en'];

function initialLocale(): AppLocale {
  const saved = localStore().getItem(LOCALE_KEY);
  if (saved === 'de' || saved === 'en') return saved;
  const browser = (globalThis as { navigator?: { language?: string } }).navigator?.language ?? 'de';
  return browser.toLowerCase().startsWith('en') ? 'en' : 'de';
}

/** The UI language, persisted in localStorage; App.vue mirrors it into vue-i18n and <html lang>. */
export const useLocaleStore = defineStore('locale', () => {
  const locale = ref<AppLocale>(initialLocale());

  function setLocale(next: AppLocale): void {
    if (!LOCALES.includes(next)) throw new Error(`unsupported locale ${String(next)}`);
    locale.value = next;
    localStore().setItem(LOCALE_KEY, next);
  }

  return { locale, setLocale };
});
