import express, { type Router } from 'express';
import { DEMO_USERS } from '@neuroerp/command-api';

/**
 * `GET /api/auth/demo-users`: the demo accounts and their (public, README-listed) passwords,
 * for the login page of the embedded default. Mounted only where demo users are enabled
 * (DEMO_USERS), so a production deployment answers 404.
 */
export function createDemoUsersRouter(): Router {
  const router = express.Router();
  router.get('/api/auth/demo-users', (_req, res) => {
    res.set('Cache-Control', 'no-store').json({ users: DEMO_USERS.map(({ username, role, password }) => ({ username, role, password })) });
  });
  return router;
}

export const demoUsersOpenApiPaths = {
  '/api/auth/demo-users': {
    get: {
      operationId: 'listDemoUsers',
      summary: 'The demo accounts and their public passwords (only where DEMO_USERS is enabled; 404 otherwise).',
      tags: ['auth'],
      responses: { '200': { description: '{ users: [{ username, role, password }] }', content: { 'application/json': { schema: { type: 'object' } } } } },
    },
  },
};
