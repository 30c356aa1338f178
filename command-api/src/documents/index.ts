export { DocumentCommands, type AttachmentDownload } from './commands';
export { createDocumentsRouter, documentsRoutes, DOCUMENTS_BASE_PATH, type DocumentsRoute, type DocumentsRouterOptions } from './routes';
export { documentModel, documentStream, createDocumentsCommandHandler, type DocumentStreamState } from './streams';
export * from './views';
export { documentContentHash } from './hash';
