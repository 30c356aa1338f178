import { isDomainError, workflows } from '@neuroerp/domains';
import type { workflows as wire } from '@neuroerp/schemas';
import { problem } from '../app';
import type { CommandContext, CommandHandler } from '../command-handling';
import { HttpProblemError } from '../http/errors';
import { ifMatchHolds, versionEtag, type CommandOutcome, type IfMatch } from '../ledger/commands';
import { workflowDefinitionModel, workflowDefinitionStream, workflowInstanceStream } from './streams';
import { workflowDefinitionView, workflowInstanceView, type EscalationResultsView, type WorkflowDefinitionView, type WorkflowInstanceView } from './views';

/**
 * The workflows commands and reads. Each command loads the one stream it writes, lets the
 * pure decider decide and the generic CommandHandler append with the expected version.
 * StartWorkflow also reads the definition stream and hands the resolved definition version to
 * the decider. The ETag of an instance is its stream version.
 *
 * Process managers call these methods in-process (with their own CommandContext carrying the
 * causation and correlation ids); the HTTP routes call the same methods.
 */

type StepAction =
  | { type: 'ApproveStep'; body: wire.ApproveStepBody }
  | { type: 'RejectStep'; body: wire.RejectStepBody }
  | { type: 'ReassignStep'; body: wire.ReassignStepBody };

function assertIfMatch(ifMatch: IfMatch, currentEtag: string, exists: boolean): void {
  if (ifMatchHolds(ifMatch, currentEtag, exists)) return;
  throw new HttpProblemError(
    problem(412, 'PRECONDITION_FAILED', `If-Match ${ifMatch ?? ''} does not match the current entity tag ${exists ? currentEtag : '(none)'}.`, {
      currentEtag: exists ? currentEtag : null,
    }),
  );
}

export interface WorkflowCommandsOptions {
  /** The clock EscalateOverdueSteps judges overdue by; the default is the system clock. Tests inject one. */
  clock?: () => Date;
}

export class WorkflowCommands {
  private readonly clock: () => Date;

  constructor(
    private readonly handler: CommandHandler,
    options: WorkflowCommandsOptions = {},
  ) {
    this.clock = options.clock ?? (() => new Date());
  }

  /** Publishes a definition version (the latest + 1); the same version with the same steps again appends nothing. */
  async publishDefinition(context: CommandContext, body: wire.PublishWorkflowDefinitionBody): Promise<CommandOutcome<WorkflowDefinitionView>> {
    const result = await this.handler.handle(
      {
        stream: workflowDefinitionStream(body.key),
        decide: (written, _read, now) => workflows.decideDefinition({ type: 'PublishWorkflowDefinition', data: body, metadata: { actor: context.actor, now } }, written.state),
      },
      context,
    );
    return {
      streamId: result.streamId,
      streamVersion: result.streamVersion,
      position: result.position,
      appended: result.appended,
      resource: workflowDefinitionView(result.state, body.version),
      etag: versionEtag(result.streamVersion),
    };
  }

  /** A published version, the latest when `version` is absent. */
  async definition(key: string, version?: number): Promise<{ resource: WorkflowDefinitionView; etag: string }> {
    const { model, streamId } = workflowDefinitionStream(key);
    const snapshot = await this.handler.load(model, streamId);
    const resolved = workflows.definitionVersion(snapshot.state, key, version);
    return { resource: workflowDefinitionView(snapshot.state, resolved.version), etag: versionEtag(snapshot.version) };
  }

  /** Starts an instance of the named definition version (latest when absent); the same start again appends nothing. */
  async start(context: CommandContext, body: wire.StartWorkflowBody): Promise<CommandOutcome<WorkflowInstanceView>> {
    const result = await this.handler.handle(
      {
        stream: workflowInstanceStream(body.workflowId),
        expectNew: true,
        read: (reader) => reader.load(workflowDefinitionModel, workflows.workflowDefinitionStreamId(body.definitionKey)),
        decide: (written, definitionSnapshot, now) =>
          workflows.decideInstance(
            {
              type: 'StartWorkflow',
              data: { ...body, definition: workflows.definitionVersion(definitionSnapshot.state, body.definitionKey, body.definitionVersion) },
              metadata: { actor: context.actor, now },
            },
            written.state,
          ),
      },
      context,
    );
    return {
      streamId: result.streamId,
      streamVersion: result.streamVersion,
      position: result.position,
      appended: result.appended,
      resource: workflowInstanceView(result.state),
      etag: versionEtag(result.streamVersion),
    };
  }

  approve(context: CommandContext, workflowId: string, step: string, body: wire.ApproveStepBody, ifMatch?: IfMatch): Promise<CommandOutcome<WorkflowInstanceView>> {
    return this.act(context, workflowId, step, { type: 'ApproveStep', body }, ifMatch);
  }

  reject(context: CommandContext, workflowId: string, step: string, body: wire.RejectStepBody, ifMatch?: IfMatch): Promise<CommandOutcome<WorkflowInstanceView>> {
    return this.act({ ...context, ...(body.reason !== undefined ? { reason: body.reason } : {}) }, workflowId, step, { type: 'RejectStep', body }, ifMatch);
  }

  reassign(context: CommandContext, workflowId: string, step: string, body: wire.ReassignStepBody, ifMatch?: IfMatch): Promise<CommandOutcome<WorkflowInstanceView>> {
    return this.act(context, workflowId, step, { type: 'ReassignStep', body }, ifMatch);
  }

  private async act(context: CommandContext, workflowId: string, step: string, action: StepAction, ifMatch: IfMatch): Promise<CommandOutcome<WorkflowInstanceView>> {
    const command = (now: string): workflows.WorkflowInstanceCommand => {
      const metadata = { actor: context.actor, now };
      switch (action.type) {
        case 'ApproveStep':
          return { type: action.type, data: { ...action.body, workflowId, step }, metadata };
        case 'RejectStep':
          return { type: action.type, data: { ...action.body, workflowId, step }, metadata };
        case 'ReassignStep':
          return { type: action.type, data: { ...action.body, workflowId, step }, metadata };
      }
    };
    const result = await this.handler.handle(
      {
        stream: workflowInstanceStream(workflowId),
        precondition: (written) => assertIfMatch(ifMatch, versionEtag(written.version), written.version >= 0),
        decide: (written, _read, now) => workflows.decideInstance(command(now), written.state),
      },
      context,
    );
    return {
      streamId: result.streamId,
      streamVersion: result.streamVersion,
      position: result.position,
      appended: result.appended,
      resource: workflowInstanceView(result.state),
      etag: versionEtag(result.streamVersion),
    };
  }

  /**
   * Runs EscalateOverdueSteps on each instance with one `now` from the injected clock. Each
   * instance is its own stream and append; an unknown id is reported, not fatal, so that a
   * scheduler working from a slightly stale read model does not stop at it.
   */
  async escalateOverdueSteps(context: CommandContext, workflowIds: readonly string[]): Promise<EscalationResultsView> {
    const now = this.clock().toISOString();
    const results: EscalationResultsView['results'] = [];
    for (const workflowId of new Set(workflowIds)) {
      try {
        const result = await this.handler.handle(
          {
            stream: workflowInstanceStream(workflowId),
            decide: (written, _read, decidedAt) => workflows.decideInstance({ type: 'EscalateOverdueSteps', data: { workflowId, now }, metadata: { actor: context.actor, now: decidedAt } }, written.state),
          },
          context,
        );
        results.push({ workflowId, outcome: result.appended > 0 ? 'escalated' : 'nothing_due', streamVersion: result.streamVersion });
      } catch (error) {
        if (!isDomainError(error) || error.code !== 'WORKFLOW_NOT_FOUND') throw error;
        results.push({ workflowId, outcome: 'not_found', streamVersion: null });
      }
    }
    return { now, results };
  }

  /** The instance as folded now; WORKFLOW_NOT_FOUND for an id never started. */
  async instance(workflowId: string): Promise<{ resource: WorkflowInstanceView; etag: string; state: workflows.WorkflowInstanceState }> {
    const { model, streamId } = workflowInstanceStream(workflowId);
    const snapshot = await this.handler.load(model, streamId);
    if (snapshot.state.status === 'none') return workflows.fail('WORKFLOW_NOT_FOUND', `Workflow ${workflowId} does not exist.`, { workflowId });
    return { resource: workflowInstanceView(snapshot.state), etag: versionEtag(snapshot.version), state: snapshot.state };
  }
}
