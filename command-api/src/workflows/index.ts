export { WorkflowCommands, type WorkflowCommandsOptions } from './commands';
export { createWorkflowsRouter, workflowsRoutes, WORKFLOWS_BASE_PATH, type WorkflowsRoute, type WorkflowsRouterOptions } from './routes';
export { workflowDefinitionModel, workflowInstanceModel, workflowDefinitionStream, workflowInstanceStream, createWorkflowsCommandHandler } from './streams';
export { WORKFLOWS_ERROR_STATUS, workflowsProblemError, isWorkflowsErrorCode } from './errors';
export { workflowsOpenApi } from './openapi';
export * from './views';
