import { defineStore } from 'pinia';
import { reactive, ref } from 'vue';
import { api } from '../api/instance';
import type { AttachmentInfo, CommandAnswer, DocumentDetail, DocumentListItem, Page } from '../api/types';
import { PAGE_SIZE } from '../config';
import { createTask } from './task';
import { saveBlob } from './accounts';

/** The download path of an attachment (needs the bearer token, so it is fetched, never linked). */
export function attachmentPath(documentId: string, sha256: string): string {
  return `/api/documents/${encodeURIComponent(documentId)}/attachments/${encodeURIComponent(sha256)}`;
}

export interface DocumentVersionBody {
  version: number;
  content: Record<string, unknown>;
  metadata?: Record<string, unknown>;
  [member: string]: unknown;
}

/** Documents: search list (query API), detail with versions, and the document commands. */
export const useDocumentsStore = defineStore('documents', () => {
  const items = ref<DocumentListItem[]>([]);
  const nextCursor = ref<string | null>(null);
  const filters = reactive({ type: '', text: '' });
  const listTask = createTask();
  const detail = ref<DocumentDetail | null>(null);
  const detailTask = createTask();
  const actionTask = createTask();
  const versionTask = createTask();
  const downloadTask = createTask();
  /** The sha256 of the attachment being downloaded, for its spinner. */
  const downloading = ref<string | null>(null);

  async function load(more = false): Promise<void> {
    const cursor = more ? nextCursor.value : null;
    if (more && cursor === null) return;
    const page = await listTask.run(() => api().get<Page<DocumentListItem>>('/api/query/documents', { ...filters, cursor, limit: PAGE_SIZE }));
    if (page === undefined) return;
    items.value = more ? [...items.value, ...page.items] : page.items;
    nextCursor.value = page.nextCursor;
  }

  async function loadDetail(documentId: string): Promise<void> {
    detail.value = null;
    await detailTask.run(async () => (detail.value = await api().get<DocumentDetail>(`/api/query/documents/${encodeURIComponent(documentId)}`)));
  }

  /** One version's content, from the command API (it keeps every version). */
  async function loadVersion(documentId: string, version: number): Promise<DocumentVersionBody | undefined> {
    return versionTask.run(() => api().get<DocumentVersionBody>(`/api/documents/${encodeURIComponent(documentId)}/versions/${version}`));
  }

  async function create(body: { documentId: string; type: string; content: unknown; metadata?: Record<string, unknown> }): Promise<CommandAnswer | undefined> {
    return actionTask.run(() => api().post<CommandAnswer>('/api/documents', body));
  }

  async function update(documentId: string, body: { content: unknown; metadata?: Record<string, unknown>; reason: string }, version: number): Promise<CommandAnswer | undefined> {
    return actionTask.run(() => api().put<CommandAnswer>(`/api/documents/${encodeURIComponent(documentId)}`, body, { ifMatch: `"${version}"` }));
  }

  async function remove(documentId: string, reason: string): Promise<CommandAnswer | undefined> {
    return actionTask.run(() => api().delete<CommandAnswer>(`/api/documents/${encodeURIComponent(documentId)}`, { reason }));
  }

  async function upload(documentId: string, file: File): Promise<CommandAnswer | undefined> {
    const form = new FormData();
    form.append('file', file, file.name);
    return actionTask.run(() => api().upload<CommandAnswer>(`/api/documents/${encodeURIComponent(documentId)}/attachments`, form));
  }

  /** Fetches an attachment with the token as a blob and saves it under its file name; false when it failed (downloadTask.error). */
  async function download(documentId: string, attachment: AttachmentInfo, save: (fileName: string, blob: Blob) => void = saveBlob): Promise<boolean> {
    downloading.value = attachment.sha256;
    try {
      const blob = await downloadTask.run(() => api().blob(attachmentPath(documentId, attachment.sha256)));
      if (blob === undefined) return false;
      save(attachment.fileName || attachment.sha256, blob);
      return true;
    } finally {
      downloading.value = null;
    }
  }

  return { items, nextCursor, filters, listTask, detail, detailTask, actionTask, versionTask, downloadTask, downloading, load, loadDetail, loadVersion, create, update, remove, upload, download };
});
