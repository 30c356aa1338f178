import { isDomainError } from '../domain-error';

/**
 * A tiny given/when/then helper for deciders, after Emmett's DeciderSpecification:
 *
 *   const spec = DeciderSpecification.for({ decide, evolve, initialState });
 *   spec.given([opened]).when(command).then([expectedEvent]);
 *   spec.given([opened]).when(badCommand).thenThrows('PERIOD_CLOSED');
 *   spec.given([opened]).when(repeated).thenNothingHappened();
 *
 * `given` events are folded with `evolve` from `initialState()` (state is set up by
 * events, never by hand). Assertions throw plain Errors, so it works under any runner.
 */
export interface Decider<Command, Event, State> {
  decide: (command: Command, state: State) => readonly Event[];
  evolve: (state: State, event: Event) => State;
  initialState: () => State;
}

export interface ThenStep<Event> {
  then(expected: readonly Event[]): void;
  thenNothingHappened(): void;
  thenThrows(code: string): void;
}

export const DeciderSpecification = {
  for<Command, Event, State>(decider: Decider<Command, Event, State>) {
    return {
      given(events: readonly Event[]) {
        return {
          when(command: Command): ThenStep<Event> {
            const run = (): readonly Event[] => decider.decide(command, events.reduce(decider.evolve, decider.initialState()));
            return {
              then(expected) {
                assertDeepEqual(run(), expected);
              },
              thenNothingHappened() {
                assertDeepEqual(run(), []);
              },
              thenThrows(code) {
                let result: readonly Event[];
                try {
                  result = run();
                } catch (error) {
                  if (!isDomainError(error)) throw error;
                  if (error.code !== code) throw new Error(`Expected DomainError ${code}, got ${error.code}: ${error.message}`);
                  return;
                }
                throw new Error(`Expected DomainError ${code}, but the decider returned ${stringify(result)}`);
              },
            };
          },
        };
      },
    };
  },
};

function assertDeepEqual(actual: unknown, expected: unknown): void {
  const actualText = stringify(actual);
  const expectedText = stringify(expected);
  if (actualText !== expectedText) throw new Error(`Events differ.\nExpected: ${expectedText}\nActual:   ${actualText}`);
}

/** Stable JSON with sorted keys; bigints as "123n" so they can be told apart from strings. */
function stringify(value: unknown): string {
  return JSON.stringify(value, (_key, entry: unknown) => {
    if (typeof entry === 'bigint') return `${entry.toString()}n`;
    if (entry !== null && typeof entry === 'object' && !Array.isArray(entry)) {
      return Object.fromEntries(Object.entries(entry as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    }
    return entry;
  }, 2);
}
