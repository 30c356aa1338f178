import express, { Router, type RequestHandler } from 'express';
import { z } from 'zod';
import { ledger as wire } from '@neuroerp/schemas';
import { problem } from '../app';
import { requirePermission } from '../auth/permissions';
import { HttpProblemError } from '../http/errors';
import { parseRequest } from '../http/validation';
import type { LedgerCommands } from '../ledger/commands';
import { commandContext } from '../ledger/routes';
import { importSaft } from './saft/import';
import { SAFT_FILE_BYTES_MAX, SaftFileError } from './saft/model';

/** The XML media types the SAF-T import accepts; the only non-JSON bodies of the API besides uploads. */
export const SAFT_CONTENT_TYPES = ['application/xml', 'text/xml'] as const;

/** The path of the SAF-T import, for the security middleware's list of routes that take XML. */
export const SAFT_IMPORT_PATH = '/api/finance/import/saft';

const importQuery = z.object({
  companyId: wire.idSchema,
  /** Threshold of fiscal years the import opens; defaults to SAFT_DEFAULT_APPROVAL_THRESHOLD. */
  approvalThreshold: wire.nonNegativeDecimalStringSchema.optional(),
});

export interface InterchangeRouterOptions {
  commands: LedgerCommands;
}

/**
 * `POST /api/finance/import/saft?companyId=…` with a SAF-T Financial file as the body
 * (Content-Type application/xml or text/xml). 200 with the import report when applied (a
 * re-import reports `eventsAppended: 0`); 422 problem+json SAFT_IMPORT_REJECTED with the
 * same report as `report` when anything was rejected (nothing is written then); 422
 * SAFT_FILE_INVALID when the body is not a SAF-T file. Opening accounts and posting both
 * happen, so it needs accounts:manage and finance:post. The route is idempotent by
 * construction (ids from the file), so it takes no Idempotency-Key.
 */
export function createInterchangeRouter(options: InterchangeRouterOptions): Router {
  const router = Router();
  const xmlBody = express.text({ type: [...SAFT_CONTENT_TYPES], limit: SAFT_FILE_BYTES_MAX });
  const importHandler: RequestHandler = async (req, res) => {
    if (req.is([...SAFT_CONTENT_TYPES]) === false || typeof req.body !== 'string') {
      throw new HttpProblemError(problem(415, 'UNSUPPORTED_MEDIA_TYPE', 'Send the SAF-T file as Content-Type: application/xml.'));
    }
    const query = parseRequest('query', importQuery, req) as z.infer<typeof importQuery>;
    const context = commandContext(req, res);
    let report;
    try {
      report = await importSaft(options.commands, context, req.body, { companyId: query.companyId, ...(query.approvalThreshold === undefined ? {} : { approvalThreshold: query.approvalThreshold }) });
    } catch (error) {
      if (error instanceof SaftFileError) throw new HttpProblemError(problem(422, error.code, error.message));
      throw error;
    }
    if (!report.accepted) {
      throw new HttpProblemError(problem(422, 'SAFT_IMPORT_REJECTED', `${report.rejections.length} problem(s) in the file; nothing was imported.`, { report }));
    }
    res.status(200).json(report);
  };
  router.post(SAFT_IMPORT_PATH, requirePermission('accounts:manage'), requirePermission('finance:post'), xmlBody, importHandler);
  return router;
}
