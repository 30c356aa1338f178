import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import * as backup from './commands/backup';
import * as exportLog from './commands/export-log';
import * as interchangeExport from './commands/export';
import * as gdpr from './commands/gdpr';
import * as importSaft from './commands/import-saft';
import * as keys from './commands/keys';
import * as projections from './commands/projections';
import * as relay from './commands/relay';
import * as seed from './commands/seed';
import * as start from './commands/start';
import * as verify from './commands/verify';

/** A CLI command: a module in ./commands that adds itself to the program. */
export interface CommandModule {
  register(program: Command): void;
}

/** Every command of the CLI, in the order `--help` lists them. Add new command modules here. */
const commands: readonly CommandModule[] = [start, seed, verify, exportLog, interchangeExport, importSaft, projections, backup, keys, gdpr, relay];

/** The version of @neuroerp/scripts (this file runs from src/ under jest and from dist/ otherwise; both sit next to package.json's folder). */
function version(): string {
  const packageJson = JSON.parse(readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')) as { version: string };
  return packageJson.version;
}

export function createProgram(): Command {
  const program = new Command()
    .name('neuroerp')
    .description('VALEO NeuroERP: an event-sourced ERP backend.')
    .version(version())
    .showHelpAfterError();
  for (const command of commands) command.register(program);
  return program;
}

/** Runs the CLI on `argv` (as in process.argv: node, script, arguments...). */
export async function main(argv: readonly string[]): Promise<void> {
  await createProgram().parseAsync([...argv]);
}

export { describeFailure } from './cli-errors';
