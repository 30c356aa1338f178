import type { Logger } from 'pino';
import type { WorkflowCommands } from '@neuroerp/command-api';
import { listWorkflows, type Knex } from '@neuroerp/projections';

/** How often the scheduler looks for overdue workflow steps. */
export const ESCALATION_INTERVAL_MS = 60_000;
/** Running workflows read per page while looking. */
const PAGE_SIZE = 200;
const SCHEDULER_ACTOR = { userId: 'system', role: 'admin' } as const;

/**
 * The time-based side of the workflows (issue 4): every ESCALATION_INTERVAL_MS it reads the
 * running workflows whose current step is overdue and not yet escalated from the workflows
 * read model, and issues EscalateOverdueSteps for them with the clock's `now` (the decider
 * decides; a step is escalated once). Runs where the process managers run (one replica).
 */
export class EscalationScheduler {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(
    private readonly options: {
      db: Knex;
      controlSchema: string;
      commands: WorkflowCommands;
      logger: Logger;
      clock?: () => Date;
      intervalMs?: number;
    },
  ) {}

  start(): void {
    this.timer = setInterval(() => {
      if (this.running !== null) return;
      this.running = this.runOnce()
        .then(() => undefined, (error: unknown) => this.options.logger.warn({ err: error }, 'escalation run failed; retrying at the next interval'))
        .finally(() => (this.running = null));
    }, this.options.intervalMs ?? ESCALATION_INTERVAL_MS);
    this.timer.unref();
  }

  /** One pass: escalates every overdue, not yet escalated step; returns the workflow ids escalated. */
  async runOnce(): Promise<string[]> {
    const now = (this.options.clock ?? (() => new Date()))();
    const due: string[] = [];
    let after: Parameters<typeof listWorkflows>[2]['after'];
    for (;;) {
      const page = await listWorkflows(this.options.db, this.options.controlSchema, { status: 'running', limit: PAGE_SIZE, ...(after === undefined ? {} : { after }) });
      for (const workflow of page.items) {
        if (!workflow.escalated && workflow.dueAt !== null && Date.parse(workflow.dueAt) <= now.getTime()) due.push(workflow.workflowId);
      }
      if (page.next === null) break;
      after = page.next;
    }
    if (due.length === 0) return [];
    const result = await this.options.commands.escalateOverdueSteps({ actor: SCHEDULER_ACTOR, correlationId: `escalation-${now.toISOString()}`, requestId: null }, due);
    const escalated = result.results.filter((entry) => entry.outcome === 'escalated').map((entry) => entry.workflowId);
    if (escalated.length > 0) this.options.logger.info({ workflowIds: escalated }, 'overdue workflow steps escalated');
    return escalated;
  }

  async stop(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }
}
