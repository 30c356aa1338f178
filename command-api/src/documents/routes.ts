import { Router, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import multer, { MulterError } from 'multer';
import { z } from 'zod';
import { DomainError } from '@neuroerp/domains';
import { sha256Hex, type IdempotencyStore } from '@neuroerp/infra';
import { documents as wire, ledger } from '@neuroerp/schemas';
import { problem } from '../app';
import { requirePermission, type Permission } from '../auth/permissions';
import type { CommandContext } from '../command-handling';
import { HttpProblemError } from '../http/errors';
import { idempotency } from '../http/idempotency';
import { parseRequest } from '../http/validation';
import type { CommandOutcome } from '../ledger/commands';
import { commandContext } from '../ledger/routes';
import type { DocumentCommands } from './commands';
import { documentVersionsViewSchema, documentVersionViewSchema, documentViewSchema, type DocumentView } from './views';

/**
 * The documents API under /api/documents. Every route is one row of `documentsRoutes`; the
 * router and the OpenAPI document (../openapi.ts) are generated from the table. POSTs need an
 * Idempotency-Key (428 without); PUT needs If-Match (428 IF_MATCH_REQUIRED without: updates
 * must not be lost), DELETE and attachment uploads accept it.
 */

export const DOCUMENTS_BASE_PATH = '/api/documents';
/** Multipart text fields besides the file (none are used; a few are tolerated). */
const MULTIPART_FIELDS_MAX = 5;

const documentParams = z.object({ documentId: ledger.idSchema });
const versionParams = documentParams.extend({ version: z.coerce.number().int().min(1).max(wire.DOCUMENT_VERSIONS_MAX) });
const attachmentParams = documentParams.extend({ sha256: wire.sha256HexSchema });

export const updateDocumentRequestSchema = wire.updateDocumentBodySchema.omit({ documentId: true });
export const deleteDocumentRequestSchema = wire.deleteDocumentBodySchema.omit({ documentId: true });
export const postDocumentRequestSchema = wire.postDocumentBodySchema.omit({ documentId: true });

type Answer = { outcome: CommandOutcome<DocumentView>; location?: string } | { resource: object; etag?: string } | { file: true };

export interface DocumentsRoute {
  method: 'get' | 'post' | 'put' | 'delete';
  /** Express path, relative to /api/documents. */
  path: string;
  operationId: string;
  summary: string;
  permission: Permission;
  params?: z.AnyZodObject;
  body?: z.ZodTypeAny;
  /** multipart/form-data with one part `file` instead of a JSON body. */
  multipart?: boolean;
  response?: z.ZodTypeAny;
  successStatus: 200 | 201;
  /** Reads If-Match; `required`: 428 without it. */
  conditional?: 'optional' | 'required';
  errorCodes?: readonly string[];
  handle(input: { params: never; body: never; context: CommandContext; ifMatch: string | undefined; req: Request; res: Response }, commands: DocumentCommands): Promise<Answer>;
}

function route<P extends z.AnyZodObject, B extends z.ZodTypeAny>(
  definition: Omit<DocumentsRoute, 'handle' | 'params' | 'body'> & {
    params?: P;
    body?: B;
    handle(input: { params: z.infer<P>; body: z.infer<B>; context: CommandContext; ifMatch: string | undefined; req: Request; res: Response }, commands: DocumentCommands): Promise<Answer>;
  },
): DocumentsRoute {
  return definition as unknown as DocumentsRoute;
}

/** What the upload middleware leaves in `req.body`: the file described, so that the idempotency fingerprint covers its hash. */
interface UploadDescription {
  fileName: string;
  contentType: string;
  sizeBytes: number;
}

export const documentsRoutes: readonly DocumentsRoute[] = [
  route({
    method: 'post',
    path: '/',
    operationId: 'createDocument',
    summary: 'Create a document (version 1); content is validated against the schema of its type. The same request again is a no-op (200).',
    permission: 'documents:write',
    body: wire.createDocumentBodySchema,
    response: documentViewSchema,
    successStatus: 201,
    errorCodes: ['DOCUMENT_EXISTS_WITH_DIFFERENT_DATA', 'DOCUMENT_DELETED', 'DOCUMENT_CONTENT_INVALID', 'INVOICE_TOTALS_MISMATCH', 'LINE_AMOUNT_MISMATCH', 'LINE_TAX_MISMATCH', 'METADATA_TOO_LARGE'],
    handle: async ({ body, context }, commands) => ({ outcome: await commands.create(context, body), location: `${DOCUMENTS_BASE_PATH}/${body.documentId}` }),
  }),
  route({
    method: 'put',
    path: '/:documentId',
    operationId: 'updateDocument',
    summary: 'Record a new content version with a reason (If-Match required); earlier versions stay readable.',
    permission: 'documents:write',
    params: documentParams,
    body: updateDocumentRequestSchema,
    response: documentViewSchema,
    successStatus: 200,
    conditional: 'required',
    errorCodes: ['DOCUMENT_NOT_FOUND', 'DOCUMENT_DELETED', 'REASON_REQUIRED', 'DOCUMENT_CONTENT_INVALID', 'INVOICE_TOTALS_MISMATCH', 'DOCUMENT_VERSIONS_EXHAUSTED'],
    handle: async ({ params, body, context, ifMatch }, commands) => ({ outcome: await commands.update(context, { ...body, ...params }, ifMatch) }),
  }),
  route({
    method: 'delete',
    path: '/:documentId',
    operationId: 'deleteDocument',
    summary: 'Delete a document with a reason: a tombstone; its versions and attachments stay readable for audit.',
    permission: 'documents:write',
    params: documentParams,
    body: deleteDocumentRequestSchema,
    response: documentViewSchema,
    successStatus: 200,
    conditional: 'optional',
    errorCodes: ['DOCUMENT_NOT_FOUND', 'REASON_REQUIRED'],
    handle: async ({ params, body, context, ifMatch }, commands) => ({ outcome: await commands.delete(context, { ...body, ...params }, ifMatch) }),
  }),
  route({
    method: 'post',
    path: '/:documentId/post',
    operationId: 'postDocument',
    summary:
      'Post a sales or purchase invoice: it becomes final (no updates, no deletion) and the invoice process manager books it as a journal transaction, shown as `transactionId` once linked.',
    permission: 'finance:post',
    params: documentParams,
    body: postDocumentRequestSchema,
    response: documentViewSchema,
    successStatus: 200,
    conditional: 'optional',
    errorCodes: ['DOCUMENT_NOT_FOUND', 'DOCUMENT_DELETED', 'DOCUMENT_NOT_POSTABLE', 'DOCUMENT_ALREADY_POSTED'],
    handle: async ({ params, body, context, ifMatch }, commands) => ({ outcome: await commands.post(context, { ...body, ...params }, ifMatch) }),
  }),
  route({
    method: 'get',
    path: '/:documentId',
    operationId: 'getDocument',
    summary: 'The current version of a document; ETag = its stream version.',
    permission: 'documents:read',
    params: documentParams,
    response: documentViewSchema,
    successStatus: 200,
    errorCodes: ['DOCUMENT_NOT_FOUND', 'DOCUMENT_DELETED'],
    handle: async ({ params }, commands) => commands.get(params.documentId),
  }),
  route({
    method: 'get',
    path: '/:documentId/versions',
    operationId: 'listDocumentVersions',
    summary: 'Who changed the document when and why, version by version (also for a deleted document).',
    permission: 'documents:read',
    params: documentParams,
    response: documentVersionsViewSchema,
    successStatus: 200,
    errorCodes: ['DOCUMENT_NOT_FOUND'],
    handle: async ({ params }, commands) => {
      const { state, etag } = await commands.load(params.documentId);
      return { resource: { documentId: params.documentId, status: state.document.status, versions: state.document.versions }, etag };
    },
  }),
  route({
    method: 'get',
    path: '/:documentId/versions/:version',
    operationId: 'getDocumentVersion',
    summary: 'One content version as it was recorded.',
    permission: 'documents:read',
    params: versionParams,
    response: documentVersionViewSchema,
    successStatus: 200,
    errorCodes: ['DOCUMENT_NOT_FOUND', 'DOCUMENT_VERSION_NOT_FOUND'],
    handle: async ({ params }, commands) => ({ resource: await commands.version(params.documentId, params.version) }),
  }),
  route({
    method: 'post',
    path: '/:documentId/attachments',
    operationId: 'addAttachment',
    summary: `Attach a file (multipart/form-data, part "file"): PDF, XML, PNG or JPEG, at most ${wire.ATTACHMENT_BYTES_MAX} bytes; stored under its SHA-256, which the event records.`,
    permission: 'documents:write',
    params: documentParams,
    multipart: true,
    response: documentViewSchema,
    successStatus: 201,
    conditional: 'optional',
    errorCodes: ['DOCUMENT_NOT_FOUND', 'DOCUMENT_DELETED', 'ATTACHMENT_TOO_LARGE', 'ATTACHMENT_TYPE_NOT_ALLOWED', 'ATTACHMENT_CONTENT_MISMATCH', 'ATTACHMENT_FILE_REQUIRED', 'TOO_MANY_ATTACHMENTS'],
    handle: async ({ params, context, ifMatch, req }, commands) => {
      const file = req.file as Express.Multer.File;
      const description = req.body as UploadDescription;
      const outcome = await commands.addAttachment(context, { documentId: params.documentId, fileName: description.fileName, declaredContentType: description.contentType, bytes: file.buffer }, ifMatch);
      return { outcome };
    },
  }),
  route({
    method: 'get',
    path: '/:documentId/attachments/:sha256',
    operationId: 'getAttachment',
    summary: 'Download an attachment; it is re-hashed first and refused with 409 ATTACHMENT_TAMPERED when it no longer matches its recorded SHA-256.',
    permission: 'documents:read',
    params: attachmentParams,
    successStatus: 200,
    errorCodes: ['DOCUMENT_NOT_FOUND', 'ATTACHMENT_NOT_FOUND', 'ATTACHMENT_TAMPERED'],
    handle: async ({ params, res }, commands) => {
      const { bytes, attachment } = await commands.attachment(params.documentId, params.sha256);
      res.setHeader('Content-Type', attachment.contentType);
      res.setHeader('Content-Length', String(bytes.length));
      res.setHeader('ETag', `"${attachment.sha256}"`);
      res.setHeader('Repr-Digest', `sha-256=:${Buffer.from(attachment.sha256, 'hex').toString('base64')}:`);
      res.setHeader('Content-Disposition', `attachment; filename="${attachment.fileName.replace(/[^\x20-\x7e]|["\\]/g, '_')}"; filename*=UTF-8''${encodeURIComponent(attachment.fileName)}`);
      res.status(200).end(bytes);
      return { file: true };
    },
  }),
];

/**
 * multer with memory storage, bounded by ATTACHMENT_BYTES_MAX (busboy stops reading beyond it),
 * then the upload described in `req.body` for the idempotency fingerprint. multer's own errors
 * become the domain's codes here; their statuses are in ../http/errors.ts.
 */
function uploadMiddleware(): RequestHandler[] {
  const parse = multer({
    storage: multer.memoryStorage(),
    limits: { fileSize: wire.ATTACHMENT_BYTES_MAX, files: 1, fields: MULTIPART_FIELDS_MAX, parts: MULTIPART_FIELDS_MAX + 1 },
  }).single('file');
  const translate = (error: unknown): unknown => {
    if (error instanceof MulterError && error.code === 'LIMIT_FILE_SIZE') {
      return new DomainError('ATTACHMENT_TOO_LARGE', `Attachments are at most ${wire.ATTACHMENT_BYTES_MAX} bytes.`, { limitBytes: wire.ATTACHMENT_BYTES_MAX });
    }
    if (error instanceof MulterError) return new HttpProblemError(problem(400, 'MULTIPART_INVALID', `The multipart body is not accepted: ${error.message}.`, { multerCode: error.code }));
    return error;
  };
  return [
    (req: Request, res: Response, next: NextFunction) => {
      if (!req.is('multipart/form-data')) {
        next(new HttpProblemError(problem(415, 'UNSUPPORTED_MEDIA_TYPE', 'Attachments are uploaded as multipart/form-data with a part named "file".')));
        return;
      }
      parse(req, res, (error?: unknown) => next(error === undefined ? undefined : translate(error)));
    },
    (req: Request, _res: Response, next: NextFunction) => {
      const file = req.file;
      if (file === undefined) {
        next(new DomainError('ATTACHMENT_FILE_REQUIRED', 'The multipart body needs a part named "file".'));
        return;
      }
      // The fingerprint of an Idempotency-Key covers the file's hash, not just its name.
      const description: UploadDescription & { sha256: string } = {
        fileName: file.originalname.slice(0, wire.FILE_NAME_LENGTH_MAX) || 'file',
        contentType: file.mimetype,
        sizeBytes: file.size,
        sha256: sha256Hex(file.buffer),
      };
      req.body = description;
      next();
    },
  ];
}

function respond(definition: DocumentsRoute, answer: Answer, res: Response): void {
  if ('file' in answer) return;
  if ('outcome' in answer) {
    const { outcome, location } = answer;
    res.setHeader('ETag', outcome.etag);
    if (location !== undefined) res.setHeader('Location', location);
    const status = definition.successStatus === 201 && outcome.appended === 0 ? 200 : definition.successStatus;
    res.status(status).json({ streamId: outcome.streamId, streamVersion: outcome.streamVersion, position: outcome.position.toString(), ...outcome.resource });
    return;
  }
  if (answer.etag !== undefined) res.setHeader('ETag', answer.etag);
  res.status(200).json(answer.resource);
}

export interface DocumentsRouterOptions {
  commands: DocumentCommands;
  idempotencyStore: IdempotencyStore;
}

/** The /api/documents routes. Needs `res.locals.actor` from an authentication middleware mounted before it. */
export function createDocumentsRouter(options: DocumentsRouterOptions): Router {
  const router = Router();
  const requireKey = idempotency(options.idempotencyStore, { required: true });
  for (const definition of documentsRoutes) {
    const handler: RequestHandler = async (req, res) => {
      const params: unknown = definition.params ? parseRequest('params', definition.params, req) : {};
      const body: unknown = definition.body ? parseRequest('body', definition.body, req) : undefined;
      const ifMatch = definition.conditional !== undefined ? req.get('If-Match') : undefined;
      if (definition.conditional === 'required' && ifMatch === undefined) {
        throw new HttpProblemError(problem(428, 'IF_MATCH_REQUIRED', 'Send If-Match with the ETag of the version you changed, so that no update is lost.'));
      }
      const context = definition.method === 'get' ? (undefined as unknown as CommandContext) : commandContext(req, res);
      const answer = await definition.handle({ params, body, context, ifMatch, req, res } as never, options.commands);
      respond(definition, answer, res);
    };
    const path = `${DOCUMENTS_BASE_PATH}${definition.path === '/' ? '' : definition.path}`;
    const chain: RequestHandler[] = [requirePermission(definition.permission)];
    if (definition.multipart) chain.push(...uploadMiddleware());
    if (definition.method === 'post') chain.push(requireKey);
    router[definition.method](path, ...chain, handler);
  }
  return router;
}
