import { randomUUID } from 'node:crypto';
import { Router, type Request, type RequestHandler, type Response } from 'express';
import { z } from 'zod';
import type { IdempotencyStore } from '@neuroerp/infra';
import { ledger as wire } from '@neuroerp/schemas';
import { problem } from '../app';
import { actorOf, can, requirePermission, type Permission } from '../auth/permissions';
import type { CommandContext } from '../command-handling';
import { HttpProblemError } from '../http/errors';
import { idempotency } from '../http/idempotency';
import { parseRequest } from '../http/validation';
import type { CommandOutcome, LedgerCommands } from './commands';
import { accountViewSchema, chartImportViewSchema, fiscalYearViewSchema, transactionViewSchema } from './views';

/**
 * The ledger's command API under /api/finance. Every route is one row of `ledgerRoutes`:
 * the router and the OpenAPI document (../openapi.ts) are both generated from that table, so
 * they cannot drift apart. Every POST needs an Idempotency-Key (428 without); If-Match is
 * optional and checked when present (412 PRECONDITION_FAILED on a mismatch).
 */

/** Accepted client-supplied correlation ids; anything else gets a fresh UUID. */
const CORRELATION_ID = /^[A-Za-z0-9._:-]{1,200}$/;

const companyQuery = z.object({ companyId: wire.idSchema });
const accountParams = z.object({ accountNumber: wire.accountNumberSchema });
const transactionParams = z.object({ transactionId: wire.idSchema });
const yearParams = z.object({ year: z.coerce.number().pipe(wire.fiscalYearNumberSchema) });
const periodParams = yearParams.extend({ period: z.coerce.number().pipe(wire.periodNumberSchema) });

/** Draft body plus what the route may do in the same request. */
export const draftTransactionRequestSchema = wire.draftTransactionBodySchema.extend({
  submit: z.boolean().optional().describe('Submit the draft in the same append (drafted + submitted).'),
  post: z
    .boolean()
    .optional()
    .describe('Submit and then post it (a second append, to the fiscal year); needs finance:post too. Only below the approval threshold.'),
});

export interface LedgerRoute {
  method: 'get' | 'post';
  /** Express path, relative to /api/finance. */
  path: string;
  operationId: string;
  summary: string;
  permission: Permission;
  params?: z.AnyZodObject;
  query?: z.AnyZodObject;
  body?: z.ZodTypeAny;
  /** The resource in the response (without the stream coordinates for GETs). */
  response: z.AnyZodObject;
  successStatus: 200 | 201;
  /** Accepts If-Match. */
  conditional?: boolean;
  /** DomainError codes this route typically answers with (for the docs). */
  errorCodes?: readonly string[];
  handle(input: { params: never; query: never; body: never; context: CommandContext; ifMatch: string | undefined; res: Response }, commands: LedgerCommands): Promise<RouteAnswer>;
}

type RouteAnswer = { outcome: CommandOutcome<object>; location?: string } | { resource: object; etag: string };

/** A route whose handler gets typed inputs. */
function route<P extends z.AnyZodObject, Q extends z.AnyZodObject, B extends z.ZodTypeAny>(
  definition: Omit<LedgerRoute, 'handle' | 'params' | 'query' | 'body'> & {
    params?: P;
    query?: Q;
    body?: B;
    handle(
      input: { params: z.infer<P>; query: z.infer<Q>; body: z.infer<B>; context: CommandContext; ifMatch: string | undefined; res: Response },
      commands: LedgerCommands,
    ): Promise<RouteAnswer>;
  },
): LedgerRoute {
  return definition as unknown as LedgerRoute;
}

const notFound = (code: string, detail: string) => new HttpProblemError(problem(404, code, detail));

export const ledgerRoutes: readonly LedgerRoute[] = [
  // ---- chart of accounts
  route({
    method: 'post',
    path: '/accounts',
    operationId: 'openAccount',
    summary: 'Open an account in a company chart (idempotent for the same definition).',
    permission: 'accounts:manage',
    body: wire.openAccountBodySchema,
    response: accountViewSchema,
    successStatus: 201,
    errorCodes: ['ACCOUNT_EXISTS_WITH_DIFFERENT_DATA', 'CURRENCY_UNKNOWN', 'COMPANY_MISMATCH'],
    handle: async ({ body, context }, commands) => {
      const outcome = await commands.openAccount(context, body);
      return { outcome, location: `/api/finance/accounts/${body.accountNumber}?companyId=${body.companyId}` };
    },
  }),
  route({
    method: 'post',
    path: '/accounts/import',
    operationId: 'importChartOfAccounts',
    summary: 'Import a chart of accounts in one append (all or nothing; accounts already opened identically are skipped).',
    permission: 'accounts:manage',
    body: wire.importChartOfAccountsBodySchema,
    response: chartImportViewSchema,
    successStatus: 201,
    errorCodes: ['CHART_IMPORT_DUPLICATE_ACCOUNT', 'ACCOUNT_EXISTS_WITH_DIFFERENT_DATA'],
    handle: async ({ body, context }, commands) => ({ outcome: await commands.importChart(context, body) }),
  }),
  route({
    method: 'post',
    path: '/accounts/:accountNumber/block',
    operationId: 'blockAccount',
    summary: 'Block an account for postings (reversible with unblock).',
    permission: 'accounts:manage',
    params: accountParams,
    body: wire.blockAccountBodySchema.omit({ accountNumber: true }),
    response: accountViewSchema,
    successStatus: 200,
    conditional: true,
    errorCodes: ['ACCOUNT_NOT_FOUND', 'ACCOUNT_ARCHIVED'],
    handle: async ({ params, body, context, ifMatch }, commands) => ({ outcome: await commands.blockAccount(context, { ...body, ...params }, ifMatch) }),
  }),
  route({
    method: 'post',
    path: '/accounts/:accountNumber/unblock',
    operationId: 'unblockAccount',
    summary: 'Unblock a blocked account.',
    permission: 'accounts:manage',
    params: accountParams,
    body: wire.unblockAccountBodySchema.omit({ accountNumber: true }),
    response: accountViewSchema,
    successStatus: 200,
    conditional: true,
    errorCodes: ['ACCOUNT_NOT_FOUND', 'ACCOUNT_ARCHIVED'],
    handle: async ({ params, body, context, ifMatch }, commands) => ({ outcome: await commands.unblockAccount(context, { ...body, ...params }, ifMatch) }),
  }),
  route({
    method: 'post',
    path: '/accounts/:accountNumber/archive',
    operationId: 'archiveAccount',
    summary: 'Archive an account: it takes no postings, ever again.',
    permission: 'accounts:manage',
    params: accountParams,
    body: wire.archiveAccountBodySchema.omit({ accountNumber: true }),
    response: accountViewSchema,
    successStatus: 200,
    conditional: true,
    errorCodes: ['ACCOUNT_NOT_FOUND'],
    handle: async ({ params, body, context, ifMatch }, commands) => ({ outcome: await commands.archiveAccount(context, { ...body, ...params }, ifMatch) }),
  }),
  route({
    method: 'get',
    path: '/accounts/:accountNumber',
    operationId: 'getAccount',
    summary: 'One account; the ETag is the version of the company chart stream.',
    permission: 'finance:read',
    params: accountParams,
    query: companyQuery,
    response: accountViewSchema,
    successStatus: 200,
    errorCodes: ['ACCOUNT_NOT_FOUND'],
    handle: async ({ params, query }, commands) => {
      const found = await commands.getAccount(query.companyId, params.accountNumber);
      if (found === null) throw notFound('ACCOUNT_NOT_FOUND', `Account ${params.accountNumber} does not exist in company ${query.companyId}.`);
      return found;
    },
  }),

  // ---- fiscal years and periods
  route({
    method: 'post',
    path: '/fiscal-years',
    operationId: 'openFiscalYear',
    summary: 'Open a fiscal year with its settings (currency, approval threshold, closing accounts); idempotent for the same settings.',
    permission: 'periods:manage',
    body: wire.openFiscalYearBodySchema,
    response: fiscalYearViewSchema,
    successStatus: 201,
    errorCodes: ['FISCAL_YEAR_EXISTS_WITH_DIFFERENT_DATA', 'AMOUNT_PRECISION_EXCEEDED'],
    handle: async ({ body, context }, commands) => ({
      outcome: await commands.openFiscalYear(context, body),
      location: `/api/finance/fiscal-years/${body.year}?companyId=${body.companyId}`,
    }),
  }),
  route({
    method: 'get',
    path: '/fiscal-years/:year',
    operationId: 'getFiscalYear',
    summary: 'A fiscal year with its periods; the ETag is the fiscal-year stream version (it moves with every posting).',
    permission: 'finance:read',
    params: yearParams,
    query: companyQuery,
    response: fiscalYearViewSchema,
    successStatus: 200,
    errorCodes: ['FISCAL_YEAR_NOT_FOUND'],
    handle: async ({ params, query }, commands) => {
      const found = await commands.getFiscalYear(query.companyId, params.year);
      if (found === null) throw notFound('FISCAL_YEAR_NOT_FOUND', `Fiscal year ${params.year} of company ${query.companyId} has not been opened.`);
      return found;
    },
  }),
  route({
    method: 'post',
    path: '/fiscal-years/:year/periods/:period/soft-lock',
    operationId: 'softLockPeriod',
    summary: 'Soft-lock a period: only holders of a posting exception post into it.',
    permission: 'periods:manage',
    params: periodParams,
    body: wire.softLockPeriodBodySchema.omit({ year: true, period: true }),
    response: fiscalYearViewSchema,
    successStatus: 200,
    conditional: true,
    errorCodes: ['FISCAL_YEAR_NOT_OPEN', 'PERIOD_CLOSED'],
    handle: async ({ params, body, context, ifMatch }, commands) => ({ outcome: await commands.softLockPeriod(context, { ...body, ...params }, ifMatch) }),
  }),
  route({
    method: 'post',
    path: '/fiscal-years/:year/periods/:period/reopen',
    operationId: 'reopenPeriod',
    summary: 'Reopen a soft-locked period.',
    permission: 'periods:manage',
    params: periodParams,
    body: wire.reopenPeriodBodySchema.omit({ year: true, period: true }),
    response: fiscalYearViewSchema,
    successStatus: 200,
    conditional: true,
    errorCodes: ['FISCAL_YEAR_NOT_OPEN', 'PERIOD_CLOSED'],
    handle: async ({ params, body, context, ifMatch }, commands) => ({ outcome: await commands.reopenPeriod(context, { ...body, ...params }, ifMatch) }),
  }),
  route({
    method: 'post',
    path: '/fiscal-years/:year/periods/:period/close',
    operationId: 'closePeriod',
    summary: 'Close a period, finally; periods close in order. Serialized with postings on the fiscal-year stream.',
    permission: 'periods:close',
    params: periodParams,
    body: wire.closePeriodBodySchema.omit({ year: true, period: true }),
    response: fiscalYearViewSchema,
    successStatus: 200,
    conditional: true,
    errorCodes: ['FISCAL_YEAR_NOT_OPEN', 'PERIOD_CLOSE_OUT_OF_ORDER'],
    handle: async ({ params, body, context, ifMatch }, commands) => ({ outcome: await commands.closePeriod(context, { ...body, ...params }, ifMatch) }),
  }),
  route({
    method: 'post',
    path: '/fiscal-years/:year/periods/:period/posting-exceptions',
    operationId: 'grantPostingException',
    summary: 'Let one user post into a soft-locked period until a given instant (at most 7 days; admins only).',
    permission: 'periods:grant_exception',
    params: periodParams,
    body: wire.grantPostingExceptionBodySchema.omit({ year: true, period: true }),
    response: fiscalYearViewSchema,
    successStatus: 200,
    conditional: true,
    errorCodes: ['PERIOD_NOT_SOFT_LOCKED', 'POSTING_EXCEPTION_INVALID_WINDOW', 'POSTING_EXCEPTION_REQUIRES_ADMIN'],
    handle: async ({ params, body, context, ifMatch }, commands) => ({ outcome: await commands.grantPostingException(context, { ...body, ...params }, ifMatch) }),
  }),
  route({
    method: 'post',
    path: '/fiscal-years/:year/close',
    operationId: 'closeFiscalYear',
    summary: 'Year-end close with the trial balance: posts the closing transaction and records the opening balances of the next year.',
    permission: 'periods:close',
    params: yearParams,
    body: wire.closeFiscalYearBodySchema.omit({ year: true }),
    response: fiscalYearViewSchema,
    successStatus: 200,
    conditional: true,
    errorCodes: ['FISCAL_YEAR_HAS_OPEN_PERIODS', 'TRIAL_BALANCE_UNBALANCED', 'FISCAL_YEAR_CLOSED'],
    handle: async ({ params, body, context, ifMatch }, commands) => ({ outcome: await commands.closeFiscalYear(context, { ...body, ...params }, ifMatch) }),
  }),
  route({
    method: 'post',
    path: '/fiscal-years/:year/opening-balances',
    operationId: 'postOpeningBalances',
    summary: 'Post the opening balances carried forward from the closed previous year (idempotent).',
    permission: 'periods:close',
    params: yearParams,
    body: wire.postOpeningBalancesBodySchema.omit({ year: true }),
    response: fiscalYearViewSchema,
    successStatus: 200,
    errorCodes: ['PREVIOUS_FISCAL_YEAR_NOT_CLOSED', 'PERIOD_CLOSED'],
    handle: async ({ params, body, context }, commands) => ({ outcome: await commands.postOpeningBalances(context, { ...body, ...params }) }),
  }),

  // ---- transactions
  route({
    method: 'post',
    path: '/transactions',
    operationId: 'draftTransaction',
    summary: 'Draft a journal transaction (balanced per currency, amounts as decimal strings); optionally submit and post it in the same request.',
    permission: 'finance:write',
    body: draftTransactionRequestSchema,
    response: transactionViewSchema,
    successStatus: 201,
    errorCodes: ['UNBALANCED_TRANSACTION', 'TOO_FEW_LINES', 'ACCOUNT_NOT_FOUND', 'TRANSACTION_EXISTS_WITH_DIFFERENT_DATA', 'APPROVAL_REQUIRED', 'PERIOD_CLOSED'],
    handle: async ({ body, context, res }, commands) => {
      const { submit, post, ...draft } = body;
      if (post === true && !can(actorOf(res), 'finance:post')) {
        throw new HttpProblemError(problem(403, 'FORBIDDEN', `The role "${actorOf(res).role}" does not have the permission "finance:post".`, { permission: 'finance:post' }));
      }
      const location = `/api/finance/transactions/${draft.transactionId}`;
      const drafted = await commands.draftTransaction(context, draft, { submit: submit === true || post === true });
      if (post !== true) return { outcome: drafted, location };
      const posted = await commands.postTransaction(context, draft.transactionId, undefined);
      return { outcome: { ...posted, appended: posted.appended + drafted.appended }, location };
    },
  }),
  route({
    method: 'get',
    path: '/transactions/:transactionId',
    operationId: 'getTransaction',
    summary: 'One transaction with its status and posting; the ETag is the transaction stream version (suffix -posted once posted).',
    permission: 'finance:read',
    params: transactionParams,
    response: transactionViewSchema,
    successStatus: 200,
    errorCodes: ['TRANSACTION_NOT_FOUND'],
    handle: async ({ params }, commands) => {
      const found = await commands.getTransaction(params.transactionId);
      if (found === null) throw notFound('TRANSACTION_NOT_FOUND', `Transaction ${params.transactionId} does not exist.`);
      return found;
    },
  }),
  route({
    method: 'post',
    path: '/transactions/:transactionId/submit',
    operationId: 'submitTransaction',
    summary: 'Submit a draft (the maker declares it ready).',
    permission: 'finance:write',
    params: transactionParams,
    body: wire.submitTransactionBodySchema.omit({ transactionId: true }),
    response: transactionViewSchema,
    successStatus: 200,
    conditional: true,
    errorCodes: ['TRANSACTION_NOT_FOUND', 'TRANSACTION_NOT_DRAFT'],
    handle: async ({ params, context, ifMatch }, commands) => ({ outcome: await commands.submitTransaction(context, params.transactionId, ifMatch) }),
  }),
  route({
    method: 'post',
    path: '/transactions/:transactionId/approve',
    operationId: 'approveTransaction',
    summary: 'Approve a submitted transaction directly (below the approval threshold; above it the approval workflow decides: 409 APPROVAL_THROUGH_WORKFLOW); the approver must not be the submitter.',
    permission: 'finance:approve',
    params: transactionParams,
    body: wire.approveTransactionBodySchema.omit({ transactionId: true }),
    response: transactionViewSchema,
    successStatus: 200,
    conditional: true,
    errorCodes: ['TRANSACTION_NOT_FOUND', 'TRANSACTION_NOT_SUBMITTED', 'APPROVER_IS_SUBMITTER', 'APPROVED_HASH_MISMATCH', 'APPROVAL_THROUGH_WORKFLOW', 'FISCAL_YEAR_NOT_OPEN'],
    handle: async ({ params, body, context, ifMatch }, commands) => ({
      outcome: await commands.approveTransaction(context, params.transactionId, ifMatch, { through: 'direct', approvedHash: body.approvedHash }),
    }),
  }),
  route({
    method: 'post',
    path: '/transactions/:transactionId/reject',
    operationId: 'rejectTransaction',
    summary: 'Reject a submitted transaction: it returns to draft with the reason; the rejecter must not be the submitter.',
    permission: 'finance:approve',
    params: transactionParams,
    body: wire.rejectTransactionBodySchema.omit({ transactionId: true }),
    response: transactionViewSchema,
    successStatus: 200,
    conditional: true,
    errorCodes: ['TRANSACTION_NOT_FOUND', 'TRANSACTION_NOT_SUBMITTED', 'APPROVER_IS_SUBMITTER', 'TRANSACTION_ALREADY_POSTED'],
    handle: async ({ params, body, context, ifMatch }, commands) => ({ outcome: await commands.rejectTransaction(context, { ...body, ...params }, ifMatch) }),
  }),
  route({
    method: 'post',
    path: '/transactions/:transactionId/post',
    operationId: 'postTransaction',
    summary: 'Post a submitted (and, above the threshold, approved) transaction into its period with the next voucher number.',
    permission: 'finance:post',
    params: transactionParams,
    body: wire.postTransactionBodySchema.omit({ transactionId: true }),
    response: transactionViewSchema,
    successStatus: 200,
    conditional: true,
    errorCodes: ['TRANSACTION_NOT_SUBMITTED', 'APPROVAL_REQUIRED', 'PERIOD_CLOSED', 'PERIOD_SOFT_LOCKED', 'ACCOUNT_BLOCKED', 'TRANSACTION_ALREADY_POSTED'],
    handle: async ({ params, context, ifMatch }, commands) => ({ outcome: await commands.postTransaction(context, params.transactionId, ifMatch) }),
  }),
  route({
    method: 'post',
    path: '/transactions/:transactionId/reverse',
    operationId: 'reverseTransaction',
    summary: 'Reverse a posted transaction: claims the reversal on it, then posts the mirrored lines on the given date.',
    permission: 'finance:reverse',
    params: transactionParams,
    body: wire.reverseTransactionBodySchema.omit({ transactionId: true }),
    response: transactionViewSchema,
    successStatus: 200,
    conditional: true,
    errorCodes: ['TRANSACTION_NOT_POSTED', 'TRANSACTION_ALREADY_REVERSED', 'REVERSAL_BEFORE_ORIGINAL', 'PERIOD_CLOSED'],
    handle: async ({ params, body, context, ifMatch }, commands) => ({ outcome: await commands.reverseTransaction(context, { ...body, ...params }, ifMatch) }),
  }),
];

/** The request's command context: actor, correlation id (X-Correlation-Id or new), request id (pino-http). */
export function commandContext(req: Request, res: Response): CommandContext {
  const supplied = req.get('X-Correlation-Id');
  const correlationId = supplied !== undefined && CORRELATION_ID.test(supplied) ? supplied : randomUUID();
  res.setHeader('X-Correlation-Id', correlationId);
  const actor = actorOf(res);
  const requestId = (req as { id?: unknown }).id;
  return { actor: { userId: actor.userId, role: actor.role }, correlationId, requestId: requestId === undefined ? null : String(requestId) };
}

function respond(route: LedgerRoute, answer: RouteAnswer, res: Response): void {
  if ('outcome' in answer) {
    const { outcome, location } = answer;
    res.setHeader('ETag', outcome.etag);
    if (location !== undefined) res.setHeader('Location', location);
    // A repeat that appended nothing created nothing.
    const status = route.successStatus === 201 && outcome.appended === 0 ? 200 : route.successStatus;
    res.status(status).json({ streamId: outcome.streamId, streamVersion: outcome.streamVersion, position: outcome.position.toString(), ...outcome.resource });
    return;
  }
  res.setHeader('ETag', answer.etag);
  res.status(200).json(answer.resource);
}

export interface LedgerRouterOptions {
  commands: LedgerCommands;
  idempotencyStore: IdempotencyStore;
}

/** The /api/finance routes. Needs `res.locals.actor` from an authentication middleware mounted before it. */
export function createLedgerRouter(options: LedgerRouterOptions): Router {
  const router = Router();
  const requireKey = idempotency(options.idempotencyStore, { required: true });
  for (const definition of ledgerRoutes) {
    const handler: RequestHandler = async (req, res) => {
      const params: unknown = definition.params ? parseRequest('params', definition.params, req) : {};
      const query: unknown = definition.query ? parseRequest('query', definition.query, req) : {};
      const body: unknown = definition.body ? parseRequest('body', definition.body, req) : undefined;
      const ifMatch = definition.conditional ? req.get('If-Match') : undefined;
      const context = definition.method === 'post' ? commandContext(req, res) : (undefined as unknown as CommandContext);
      const answer = await definition.handle({ params, query, body, context, ifMatch, res } as never, options.commands);
      respond(definition, answer, res);
    };
    const expressPath = `/api/finance${definition.path}`;
    if (definition.method === 'post') router.post(expressPath, requirePermission(definition.permission), requireKey, handler);
    else router.get(expressPath, requirePermission(definition.permission), handler);
  }
  return router;
}
