import { Counter, Gauge, Registry } from 'prom-client';

/** The runtime's Prometheus metrics, in a registry the composition root exposes on /metrics. */
export class ProjectionMetrics {
  readonly registry: Registry;
  readonly deadLetters: Counter<'projection'>;
  readonly positionGaps: Counter<'projection'>;
  readonly eventsApplied: Counter<'projection'>;
  readonly lagEvents: Gauge<'projection'>;
  readonly lagSeconds: Gauge<'projection'>;

  constructor(registry = new Registry()) {
    this.registry = registry;
    const registers = [registry];
    this.deadLetters = new Counter({
      name: 'projection_dead_letters_total',
      help: 'Events a projection could not apply in continuous mode and put into projection_dead_letters.',
      labelNames: ['projection'] as const,
      registers,
    });
    this.positionGaps = new Counter({
      name: 'projection_position_gaps_total',
      help: 'Times a projection saw a global position that was not checkpoint + 1 (must stay 0: positions are gapless, ADR 0002).',
      labelNames: ['projection'] as const,
      registers,
    });
    this.eventsApplied = new Counter({
      name: 'projection_events_processed_total',
      help: 'Events (handled or not) a projection moved its checkpoint over.',
      labelNames: ['projection'] as const,
      registers,
    });
    this.lagEvents = new Gauge({
      name: 'projection_lag_events',
      help: 'Head position of the event store minus the projection checkpoint, in events.',
      labelNames: ['projection'] as const,
      registers,
    });
    this.lagSeconds = new Gauge({
      name: 'projection_lag_seconds',
      help: 'Age of the last applied event when the projection is behind the head, in seconds; 0 when caught up.',
      labelNames: ['projection'] as const,
      registers,
    });
  }
}
