import 'vuetify/styles';
import { createVuetify } from 'vuetify';
import { aliases, mdi } from 'vuetify/iconsets/mdi-svg';
import { de, en } from 'vuetify/locale';

/** Vuetify with SVG icons from @mdi/js (no icon font download) and its own de/en strings. */
export const vuetify = createVuetify({
  icons: { defaultSet: 'mdi', aliases, sets: { mdi } },
  locale: { locale: 'de', fallback: 'en', messages: { de, en } },
  theme: {
    defaultTheme: 'neuroerp',
    themes: {
      neuroerp: {
        dark: false,
        // Darker than Vuetify's defaults so text on these colours meets WCAG AA contrast.
        colors: { primary: '#0b4f8a', secondary: '#37474f', success: '#1b5e20', error: '#b00020', warning: '#8a4b00', info: '#01579b' },
      },
    },
  },
});
