import { existsSync } from 'node:fs';
import path from 'node:path';
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';

/** Hashed build assets never change under their name; index.html must be revalidated on every load. */
const ASSET_MAX_AGE_SECONDS = 31_536_000;

/** Paths the dashboard never owns: the APIs and the operational endpoints answer (or 404) themselves. */
const NOT_UI = /^\/(api|health|ready|metrics|\.well-known)(\/|$)/;

/**
 * Serves the built dashboard (`ui/dist`, from `npm run build -w ui`) at `/`: static files,
 * and `index.html` for any other GET of a non-API path, so that deep links such as
 * `/transactions/abc` load the app and its router takes over (SPA fallback). Mount it after
 * the API routers. Without a build (no `index.html`) it passes every request on, so the
 * API-only server works as before.
 */
export function serveUi(distDir: string): RequestHandler {
  const indexFile = path.join(distDir, 'index.html');
  const files = express.static(distDir, {
    index: false,
    fallthrough: true,
    setHeaders: (res, filePath) => {
      const isAsset = filePath.includes(`${path.sep}assets${path.sep}`);
      res.setHeader('Cache-Control', isAsset ? `public, max-age=${ASSET_MAX_AGE_SECONDS}, immutable` : 'no-cache');
    },
  });

  return (req: Request, res: Response, next: NextFunction) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    if (NOT_UI.test(req.path)) return next();
    if (!existsSync(indexFile)) return next();
    files(req, res, (error?: unknown) => {
      if (error !== undefined) return next(error);
      // A missing file with an extension is a real 404 (an old asset), not an app route.
      if (path.extname(req.path) !== '') return next();
      res.setHeader('Cache-Control', 'no-cache');
      res.sendFile(indexFile, (sendError?: Error) => {
        if (sendError !== undefined && !res.headersSent) next(sendError);
      });
    });
  };
}
