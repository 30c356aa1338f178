import { createRouter, createWebHistory, type RouteRecordRaw, type Router } from 'vue-router';
import { useAuthStore } from './stores/auth';

export const routes: RouteRecordRaw[] = [
  { path: '/login', name: 'login', component: () => import('./pages/LoginPage.vue'), meta: { public: true } },
  { path: '/', name: 'dashboard', component: () => import('./pages/DashboardPage.vue') },
  { path: '/transactions', name: 'transactions', component: () => import('./pages/TransactionsPage.vue') },
  { path: '/transactions/new', name: 'transaction-new', component: () => import('./pages/JournalEntryPage.vue'), meta: { permission: 'finance:write' } },
  { path: '/transactions/:id', name: 'transaction', component: () => import('./pages/TransactionDetailPage.vue'), props: true },
  { path: '/accounts', name: 'accounts', component: () => import('./pages/AccountsPage.vue') },
  { path: '/accounts/:accountNumber', name: 'account-statement', component: () => import('./pages/AccountStatementPage.vue'), props: true },
  { path: '/trial-balance', name: 'trial-balance', component: () => import('./pages/TrialBalancePage.vue') },
  { path: '/documents', name: 'documents', component: () => import('./pages/DocumentsPage.vue') },
  { path: '/documents/:id', name: 'document', component: () => import('./pages/DocumentDetailPage.vue'), props: true },
  { path: '/inbox', name: 'inbox', component: () => import('./pages/InboxPage.vue') },
  { path: '/reports', name: 'reports', component: () => import('./pages/ReportsPage.vue') },
  { path: '/periods', name: 'periods', component: () => import('./pages/PeriodsPage.vue') },
  { path: '/inalterability', name: 'inalterability', component: () => import('./pages/InalterabilityPage.vue'), meta: { permission: 'audit:read' } },
  { path: '/admin/projections', name: 'projections', component: () => import('./pages/ProjectionsPage.vue') },
  { path: '/:pathMatch(.*)*', redirect: '/' },
];

declare module 'vue-router' {
  interface RouteMeta {
    /** The permission (GET /api/auth/verify) a route needs; without it the guard sends the user to the dashboard. */
    permission?: string;
  }
}

/** The router with the auth guard: every page but the login needs a session. */
export function createAppRouter(): Router {
  const router = createRouter({ history: createWebHistory(), routes });
  router.beforeEach((to) => {
    const auth = useAuthStore();
    if (to.meta.public !== true && !auth.isAuthenticated) return { name: 'login', query: { redirect: to.fullPath } };
    if (to.name === 'login' && auth.isAuthenticated) return { name: 'dashboard' };
    // A page that only writes (or needs a special read) is not opened without its permission.
    const permission = to.meta.permission;
    if (typeof permission === 'string' && !auth.can(permission)) return { name: 'dashboard' };
    return true;
  });
  return router;
}
