import { documents } from '@neuroerp/domains';
import { documents as wire } from '@neuroerp/schemas';
import { CommandHandler, type StreamModel } from '../command-handling';
import type { EventStore } from '@neuroerp/infra';

/**
 * A document as the command handler folds it, plus where each content version lies in the
 * stream (`contentStreamVersions[n - 1]` is the stream version of content version n), so
 * that any version is one read away without keeping every content in memory.
 */
export interface DocumentStreamState {
  document: documents.DocumentState;
  contentStreamVersions: readonly number[];
}

export const documentModel: StreamModel<DocumentStreamState> = {
  name: 'documents.document',
  initialState: () => ({ document: documents.initialState(), contentStreamVersions: [] }),
  evolve: (state, events) => {
    let contentStreamVersions = state.contentStreamVersions;
    for (const event of events) {
      if (event.type === 'documents.document_created' || event.type === 'documents.document_updated') {
        contentStreamVersions = [...contentStreamVersions, event.streamVersion];
      }
    }
    return { document: events.reduce(documents.evolve, state.document), contentStreamVersions };
  },
};

export const documentStream = (documentId: string) => ({ model: documentModel, streamId: documents.documentStreamId(documentId) });

/** A CommandHandler that writes documents events with their catalogue schema versions. */
export function createDocumentsCommandHandler(store: EventStore, options: { clock?: () => Date } = {}): CommandHandler {
  return new CommandHandler({
    store,
    clock: options.clock,
    schemaVersionOf: (type) => {
      if (!wire.isDocumentsEventType(type)) throw new Error(`event type ${type} is not in the documents event catalogue`);
      return wire.documentsEventCatalogue[type].schemaVersion;
    },
  });
}
