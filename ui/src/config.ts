/**
 * Build-time settings of the dashboard. The company is fixed per deployment today: the demo
 * company of `npm start` unless NEUROERP_COMPANY_ID is set when `vite build` runs (vite.config.ts
 * defines the constant; unit tests under jest see the default).
 */
declare const __NEUROERP_COMPANY_ID__: string | undefined;

export const COMPANY_ID = typeof __NEUROERP_COMPANY_ID__ === 'string' ? __NEUROERP_COMPANY_ID__ : 'valeo-demo-gmbh';
/** Query API page size for lists ("load more" fetches this many again). */
export const PAGE_SIZE = 50;
/** How often the projections admin polls while a rebuild runs. */
export const REBUILD_POLL_MS = 1000;
/** Polling stops after this long without the rebuild finishing; the page says so. */
export const REBUILD_POLL_DURATION_MS_MAX = 10 * 60 * 1000;
