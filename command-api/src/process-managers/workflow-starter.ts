import type { EventStore } from '@neuroerp/infra';
import { WorkflowCommands } from '../workflows/commands';
import { createWorkflowsCommandHandler } from '../workflows/streams';
import { CausedEventStore } from './runtime';
import type { WorkflowStarter, WorkflowStartInput, WorkflowStartMetadata } from './transaction-approval';

/**
 * The workflow engine behind the process managers' WorkflowStarter port: starts the instance
 * through the same WorkflowCommands as `POST /api/workflows/instances`, on a command handler
 * of its own whose events carry the triggering event (a submitted transaction, a created
 * contract) as causation. Starting an instance that
 * exists with the same data appends nothing (the engine's idempotent start).
 */
export function workflowEngineStarter(store: EventStore, options: { clock?: () => Date } = {}): WorkflowStarter {
  const causedStore = new CausedEventStore(store);
  const clock = options.clock === undefined ? {} : { clock: options.clock };
  const commands = new WorkflowCommands(createWorkflowsCommandHandler(causedStore, clock), clock);
  return {
    async start(input: WorkflowStartInput, metadata: WorkflowStartMetadata): Promise<void> {
      const cause = { event: { eventId: metadata.causationId, metadata: { correlationId: metadata.correlationId } }, commandId: metadata.commandId };
      await causedStore.within(cause, () =>
        commands.start(
          { actor: metadata.actor, correlationId: metadata.correlationId, requestId: null },
          {
            workflowId: input.workflowId,
            definitionKey: input.definitionKey,
            subject: input.subject,
            subjectHash: input.subjectHash,
            startedBy: input.startedBy,
            facts: input.facts,
          },
        ),
      );
    },
  };
}
