/**
 * How the dashboard names users, ids and accounts. The query API adds user names next to user
 * ids (`…ByName`, `actor.username`) and account names where it knows them; older answers carry
 * the ids alone, so every helper falls back to a shortened id (the full id goes in a tooltip).
 */
import type { Assignee, HistoryActor } from './api/types';

/** Ids longer than this are shortened on screen. */
export const ID_SHOWN_CHARS = 12;

/** "e2e-1733130000000-abcdef…" → the first characters and an ellipsis; short ids stay as they are. */
export function shortId(id: string | null | undefined, chars = ID_SHOWN_CHARS): string {
  if (id === null || id === undefined || id === '') return '—';
  return id.length > chars + 1 ? `${id.slice(0, chars)}…` : id;
}

/** A user's name when the API sent one, else the shortened user id; '—' for nobody. */
export function userLabel(id: string | null | undefined, name?: string | null): string {
  if (name !== null && name !== undefined && name.trim() !== '') return name;
  return shortId(id);
}

/** An event's author: "username (role)", the user id when the name is unknown, a plain string as-is. */
export function actorLabel(actor: HistoryActor | string | null | undefined): string {
  if (actor === null || actor === undefined) return '—';
  if (typeof actor === 'string') return shortId(actor);
  const who = userLabel(actor.userId, actor.username);
  return actor.role ? `${who} (${actor.role})` : who;
}

/** The full id behind an actor, for the tooltip. */
export function actorId(actor: HistoryActor | string | null | undefined): string {
  if (actor === null || actor === undefined) return '';
  return typeof actor === 'string' ? actor : actor.userId;
}

/** Who a workflow step waits for: the role (translated by the caller) or the user. */
export function assigneeOf(assignee: Assignee | null | undefined): { kind: 'role'; role: string } | { kind: 'user'; label: string; id: string } | null {
  if (assignee === null || assignee === undefined) return null;
  if ('role' in assignee) return { kind: 'role', role: assignee.role };
  return { kind: 'user', label: userLabel(assignee.userId, assignee.username), id: assignee.userId };
}

/** "4210 – Miete" when the account has a name, else the number alone. */
export function accountLabel(accountNumber: string | null | undefined, name?: string | null): string {
  if (accountNumber === null || accountNumber === undefined || accountNumber === '') return name ?? '';
  return name ? `${accountNumber} – ${name}` : accountNumber;
}
