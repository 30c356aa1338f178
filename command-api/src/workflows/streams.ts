import { workflows } from '@neuroerp/domains';
import type { EventStore } from '@neuroerp/infra';
import { workflows as wire } from '@neuroerp/schemas';
import { CommandHandler, type StreamModel } from '../command-handling';

/** How the command handler folds the two workflows streams: the domain's evolve functions, event by event. */

export const workflowDefinitionModel: StreamModel<workflows.WorkflowDefinitionState> = {
  name: 'workflows.definition',
  initialState: workflows.initialDefinitionState,
  evolve: (state, events) => events.reduce(workflows.evolveDefinition, state),
};

export const workflowInstanceModel: StreamModel<workflows.WorkflowInstanceState> = {
  name: 'workflows.instance',
  initialState: workflows.initialInstanceState,
  evolve: (state, events) => events.reduce(workflows.evolveInstance, state),
};

export const workflowDefinitionStream = (key: string) => ({ model: workflowDefinitionModel, streamId: workflows.workflowDefinitionStreamId(key) });
export const workflowInstanceStream = (workflowId: string) => ({ model: workflowInstanceModel, streamId: workflows.workflowInstanceStreamId(workflowId) });

/** A CommandHandler that writes workflows events with their catalogue schema versions. */
export function createWorkflowsCommandHandler(store: EventStore, options: { clock?: () => Date } = {}): CommandHandler {
  return new CommandHandler({
    store,
    clock: options.clock,
    schemaVersionOf: (type) => {
      if (!wire.isWorkflowsEventType(type)) throw new Error(`event type ${type} is not in the workflows event catalogue`);
      return wire.workflowsEventCatalogue[type].schemaVersion;
    },
  });
}
