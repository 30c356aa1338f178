/**
 * The workflows bounded context: versioned approval workflow definitions and the instances
 * that follow them. Pure: no I/O, no clock, no randomness; the actor, `now`, ids and the
 * subject hash arrive in the command.
 *
 * | aggregate  | stream id                             | events                                                                      |
 * |------------|---------------------------------------|-----------------------------------------------------------------------------|
 * | definition | `workflows.definition-<key>`          | workflow.definition_published                                               |
 * | instance   | `workflows.instance-<workflowId>`     | workflow.started, step_assigned, step_approved, step_rejected,              |
 * |            |                                       | step_reassigned, escalated, completed                                       |
 *
 * Every command writes one stream. StartWorkflow also reads the definition stream: the
 * command handler resolves the definition version (`definitionVersion(state, key, version?)`)
 * and passes it in the command, so that `decideInstance` stays a pure function of command and state.
 */
export * from './errors';
export * from './definition';
export * from './instance';
export * from './inbox';
export * from './defaults';
