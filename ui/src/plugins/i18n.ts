import { createI18n } from 'vue-i18n';
import de from '../locales/de';
import en, { type Messages } from '../locales/en';

/** vue-i18n in composition mode; the locale follows the locale store (App.vue). */
export const i18n = createI18n<[Messages], 'de' | 'en', false>({
  legacy: false,
  locale: 'de',
  fallbackLocale: 'en',
  messages: { de, en },
});
