import { createApp } from 'vue';
import { createPinia } from 'pinia';
import App from './App.vue';
import { createApiClient } from './api/client';
import { installApiClient } from './api/instance';
import { i18n } from './plugins/i18n';
import { vuetify } from './plugins/vuetify';
import { createAppRouter } from './router';
import { useAuthStore } from './stores/auth';
import './print.css';

const app = createApp(App);
const pinia = createPinia();
app.use(pinia);

const auth = useAuthStore();
auth.restore();
const router = createAppRouter();
installApiClient(
  createApiClient({
    tokens: auth.tokenSource,
    // The refresh token died (expired, revoked, reused): back to the login, then where the user was.
    onSessionExpired: () => void router.push({ name: 'login', query: { redirect: router.currentRoute.value.fullPath } }),
  }),
);

// A restored session re-reads the permissions of its token (roles may have changed since the login).
if (auth.isAuthenticated) void auth.loadPermissions().catch(() => undefined);

app.use(router).use(i18n).use(vuetify).mount('#app');
