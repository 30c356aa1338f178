import { documents } from '@neuroerp/domains';
import { sha256Hex, type FileStore } from '@neuroerp/infra';
import type { documents as wire } from '@neuroerp/schemas';
import type { CommandContext, CommandHandler, CommandResult } from '../command-handling';
import { ifMatchHolds, versionEtag, type CommandOutcome, type IfMatch } from '../ledger/commands';
import { problem } from '../app';
import { HttpProblemError } from '../http/errors';
import { documentStream, type DocumentStreamState } from './streams';
import { documentView, type DocumentVersionView, type DocumentView } from './views';

/**
 * The documents commands and reads: each command loads the one document stream, lets the
 * pure decider decide and the generic CommandHandler append with the expected version. The
 * ETag of a document is its stream version (it moves with updates, deletion and attachments).
 */

/** A downloaded attachment, verified against the hash its event recorded. */
export interface AttachmentDownload {
  bytes: Buffer;
  attachment: wire.AttachmentAdded;
}

function assertIfMatch(ifMatch: IfMatch, currentEtag: string, exists: boolean): void {
  if (ifMatchHolds(ifMatch, currentEtag, exists)) return;
  throw new HttpProblemError(
    problem(412, 'PRECONDITION_FAILED', `If-Match ${ifMatch ?? ''} does not match the current entity tag ${exists ? currentEtag : '(none)'}.`, {
      currentEtag: exists ? currentEtag : null,
    }),
  );
}

export class DocumentCommands {
  constructor(
    private readonly handler: CommandHandler,
    private readonly files: FileStore,
  ) {}

  private async run(context: CommandContext, documentId: string, ifMatch: IfMatch, body: (now: string) => documents.DocumentCommand): Promise<CommandOutcome<DocumentView>> {
    const result: CommandResult<DocumentStreamState, undefined> = await this.handler.handle(
      {
        stream: documentStream(documentId),
        precondition: (written) => assertIfMatch(ifMatch, versionEtag(written.version), written.version >= 0),
        decide: (written, _read, now) => documents.decide(body(now), written.state.document),
      },
      context,
    );
    return {
      streamId: result.streamId,
      streamVersion: result.streamVersion,
      position: result.position,
      appended: result.appended,
      resource: documentView(result.state.document),
      etag: versionEtag(result.streamVersion),
    };
  }

  create(context: CommandContext, data: wire.CreateDocumentBody): Promise<CommandOutcome<DocumentView>> {
    return this.run(context, data.documentId, undefined, (now) => ({ type: 'CreateDocument', data, metadata: { actor: context.actor, now } }));
  }

  update(context: CommandContext, data: wire.UpdateDocumentBody, ifMatch: IfMatch): Promise<CommandOutcome<DocumentView>> {
    return this.run({ ...context, ...(data.reason !== undefined ? { reason: data.reason } : {}) }, data.documentId, ifMatch, (now) => ({
      type: 'UpdateDocument',
      data,
      metadata: { actor: context.actor, now },
    }));
  }

  delete(context: CommandContext, data: wire.DeleteDocumentBody, ifMatch: IfMatch): Promise<CommandOutcome<DocumentView>> {
    return this.run({ ...context, ...(data.reason !== undefined ? { reason: data.reason } : {}) }, data.documentId, ifMatch, (now) => ({
      type: 'DeleteDocument',
      data,
      metadata: { actor: context.actor, now },
    }));
  }

  /**
   * PostDocument: the invoice is final at its current version; the invoice process manager
   * then drafts and submits its journal transaction and links it back (linkTransaction).
   */
  post(context: CommandContext, data: wire.PostDocumentBody, ifMatch: IfMatch): Promise<CommandOutcome<DocumentView>> {
    return this.run(context, data.documentId, ifMatch, (now) => ({ type: 'PostDocument', data, metadata: { actor: context.actor, now } }));
  }

  /** LinkTransaction: records the journal transaction that books the posted document (the process manager's command). */
  linkTransaction(context: CommandContext, data: wire.LinkTransactionBody): Promise<CommandOutcome<DocumentView>> {
    return this.run(context, data.documentId, undefined, (now) => ({ type: 'LinkTransaction', data, metadata: { actor: context.actor, now } }));
  }

  /** RecordReview: how a review workflow about the document ended (the contract-review process manager's command). */
  recordReview(context: CommandContext, data: wire.RecordReviewBody): Promise<CommandOutcome<DocumentView>> {
    return this.run(context, data.documentId, undefined, (now) => ({ type: 'RecordReview', data, metadata: { actor: context.actor, now } }));
  }

  /**
   * Stores the file content-addressed, then records `attachment_added` with its hash. The
   * command is decided once on the current state before the file is written, so that a refused
   * upload (deleted document, wrong type) leaves no file behind; a file whose event then fails
   * to append is an unreferenced blob, harmless because addresses are content hashes.
   */
  async addAttachment(context: CommandContext, upload: { documentId: string; fileName: string; declaredContentType: string; bytes: Buffer }, ifMatch: IfMatch): Promise<CommandOutcome<DocumentView>> {
    const data: wire.AddAttachmentBody = {
      documentId: upload.documentId,
      fileName: upload.fileName,
      declaredContentType: upload.declaredContentType,
      detectedContentType: documents.detectContentType(upload.bytes.subarray(0, documents.MAGIC_BYTES_LENGTH)),
      sizeBytes: upload.bytes.length,
      sha256: sha256Hex(upload.bytes),
    };
    const command = (now: string): documents.DocumentCommand => ({ type: 'AddAttachment', data, metadata: { actor: context.actor, now } });
    const current = await this.handler.load(documentStream(upload.documentId).model, documentStream(upload.documentId).streamId);
    assertIfMatch(ifMatch, versionEtag(current.version), current.version >= 0);
    documents.decide(command(new Date(0).toISOString()), current.state.document);
    const stored = await this.files.put(upload.bytes);
    if (stored.sha256 !== data.sha256) throw new Error(`file store returned ${stored.sha256} for bytes hashing to ${data.sha256}`);
    return this.run(context, upload.documentId, ifMatch, command);
  }

  /** The document's folded state; throws DOCUMENT_NOT_FOUND for a document never created. */
  async load(documentId: string): Promise<{ state: DocumentStreamState; version: number; etag: string }> {
    const { streamId, model } = documentStream(documentId);
    const snapshot = await this.handler.load(model, streamId);
    if (snapshot.state.document.status === 'none') documents.fail('DOCUMENT_NOT_FOUND', `Document ${documentId} does not exist.`, { documentId });
    return { state: snapshot.state, version: snapshot.version, etag: versionEtag(snapshot.version) };
  }

  /** The current version; a deleted document is DOCUMENT_DELETED (its history stays readable). */
  async get(documentId: string): Promise<{ resource: DocumentView; etag: string }> {
    const { state, etag } = await this.load(documentId);
    if (state.document.status === 'deleted') documents.fail('DOCUMENT_DELETED', `Document ${documentId} is deleted; its versions remain readable.`, { documentId });
    return { resource: documentView(state.document), etag };
  }

  async version(documentId: string, version: number): Promise<DocumentVersionView> {
    const { state } = await this.load(documentId);
    const streamVersion = state.contentStreamVersions[version - 1];
    const summary = state.document.versions[version - 1];
    if (streamVersion === undefined || summary === undefined || version < 1) {
      return documents.fail('DOCUMENT_VERSION_NOT_FOUND', `Document ${documentId} has no version ${version}.`, { documentId, version });
    }
    const event = await this.handler.readEvent(documents.documentStreamId(documentId), streamVersion);
    if (event === null) throw new Error(`version ${version} of ${documentId} missing at stream version ${streamVersion}`);
    const data = event.data as wire.DocumentCreated | wire.DocumentUpdated;
    return { documentId, type: state.document.type as wire.DocumentType, ...summary, content: data.content, metadata: data.metadata };
  }

  /** The attachment's bytes, re-hashed: a file that no longer matches its recorded SHA-256 (or is gone) is ATTACHMENT_TAMPERED. */
  async attachment(documentId: string, sha256: string): Promise<AttachmentDownload> {
    const { state } = await this.load(documentId);
    const attachment = state.document.attachments.find((candidate) => candidate.sha256 === sha256);
    if (attachment === undefined) return documents.fail('ATTACHMENT_NOT_FOUND', `Document ${documentId} has no attachment ${sha256}.`, { documentId, sha256 });
    const bytes = await this.files.get(sha256);
    if (bytes === null || sha256Hex(bytes) !== sha256) {
      return documents.fail('ATTACHMENT_TAMPERED', `The stored file of attachment ${sha256} ${bytes === null ? 'is missing' : 'no longer matches its recorded SHA-256'}.`, {
        documentId,
        sha256,
        missing: bytes === null,
      });
    }
    return { bytes, attachment };
  }
}
