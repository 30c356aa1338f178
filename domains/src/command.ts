import type { Actor } from '@neuroerp/schemas';

/**
 * What every command carries besides its body: who acts and when. The domain has no clock
 * and no session; the command handler fills this from the authenticated request.
 */
export interface CommandMetadata {
  actor: Actor;
  /** The instant the command is decided at (ISO 8601 with offset), from the handler's clock. */
  now: string;
}

/** A command as the deciders take it: the validated wire body plus metadata (Emmett's Command). */
export interface Command<Type extends string, Data> {
  type: Type;
  data: Data;
  metadata: CommandMetadata;
}
