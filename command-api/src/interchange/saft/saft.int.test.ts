import { readFileSync } from 'node:fs';
import express from 'express';
import pino from 'pino';
import { pinoHttp } from 'pino-http';
import request from 'supertest';
import { PostgresEventStore } from '@neuroerp/infra';
import { problem } from '../../app';
import { HttpProblemError, problemErrorHandler } from '../../http/errors';
import { LedgerCommands } from '../../ledger/commands';
import { createLedgerCommandHandler } from '../../ledger/handler';
import { context, dropSchema, testActorFromHeaders, testDatabaseUrl, uniqueSchema } from '../../ledger/test-support';
import { readFiscalYear, trialBalance } from '../ledger-read';
import { createInterchangeRouter } from '../routes';
import { exportSaft } from './export';
import { importSaft } from './import';
import { corruptions, SAFT_EXAMPLE, xsdErrors } from './test-support';

const example = readFileSync(SAFT_EXAMPLE, 'utf8');
const COMPANY = 'no-999999999';
const importer = context('saft-importer', 'accountant');
/** Above every amount of the example: the round trip needs no approvals. */
const HIGH_THRESHOLD = '1000000.00';

interface Bed {
  schema: string;
  store: PostgresEventStore;
  commands: LedgerCommands;
}

async function openBed(purpose: string): Promise<Bed> {
  const schema = uniqueSchema(purpose);
  const store = await PostgresEventStore.connect({ connectionString: testDatabaseUrl(), schema });
  return { schema, store, commands: new LedgerCommands(createLedgerCommandHandler(store)) };
}

async function closeBed(bed: Bed): Promise<void> {
  await bed.store.close();
  await dropSchema(bed.schema);
}

async function trialBalanceOf(bed: Bed, year: number): Promise<Record<string, string>> {
  const book = await readFiscalYear(bed.store, COMPANY, year);
  const balances = trialBalance(book.postings.map((recorded) => recorded.posting));
  return Object.fromEntries([...balances.entries()].filter(([, value]) => value !== 0n).sort(([a], [b]) => a.localeCompare(b)).map(([account, value]) => [account, value.toString()]));
}

const exportOptions = {
  companyId: COMPANY,
  company: { name: 'Selskapet AS', registrationNumber: '999999999', city: 'Trondheim', postalCode: '7000', contactFirstName: 'Ola', contactLastName: 'Nordmann' },
  createdDate: '2026-12-02',
  software: { companyName: 'VALEO', id: 'NeuroERP', version: 'test' },
  userId: 'auditor',
  from: { year: 2015, month: 1 },
  to: { year: 2015, month: 12 },
};

describe('SAF-T import and export against PostgreSQL', () => {
  let bed: Bed;
  beforeAll(async () => {
    bed = await openBed('saft');
  });
  afterAll(async () => closeBed(bed));

  it('imports the example, reports closing-balance mismatches, and a re-import changes nothing', async () => {
    const first = await importSaft(bed.commands, importer, example, { companyId: COMPANY, approvalThreshold: HIGH_THRESHOLD });
    expect(first.accepted).toBe(true);
    expect(first.counts).toMatchObject({ accounts: 4, transactions: 2, lines: 5 });
    expect(first.totals).toEqual({ debit: '25000.00', credit: '25000.00' });
    expect(first.closingBalanceMismatches.map((mismatch) => mismatch.accountId)).toEqual(['1925', '2400', '2740', '4000']);
    expect(first.applied).toMatchObject({ accountsOpened: 7, fiscalYearsOpened: [2015], transactionsPosted: 3, transactionsAlreadyPosted: 0, awaitingApproval: [] });
    expect(await trialBalanceOf(bed, 2015)).toEqual({ '1925': '-1126544', '2400': '-123456', '2740': '126544', '4000': '1000000', '9990': '123456' });

    const head = await bed.store.readAll({ fromPosition: 'start', maxCount: 10_000 });
    const again = await importSaft(bed.commands, importer, example, { companyId: COMPANY, approvalThreshold: HIGH_THRESHOLD });
    expect(again.applied).toMatchObject({ accountsOpened: 0, fiscalYearsOpened: [], transactionsPosted: 0, transactionsAlreadyPosted: 3, eventsAppended: 0 });
    expect(await bed.store.readAll({ fromPosition: 'start', maxCount: 10_000 })).toHaveLength(head.length);
  });

  it('exports an XSD-valid file that imports into a fresh store with the same trial balance', async () => {
    const { xml, summary } = await exportSaft(bed.store, exportOptions);
    expect(xsdErrors(xml)).toBe('');
    expect(summary).toMatchObject({ accounts: 7, transactions: 2, lines: 5, totalDebit: '25000.00', totalCredit: '25000.00' });
    const fresh = await openBed('saft_fresh');
    try {
      const report = await importSaft(fresh.commands, importer, xml, { companyId: COMPANY, approvalThreshold: HIGH_THRESHOLD });
      expect(report.accepted).toBe(true);
      expect(report.closingBalanceMismatches).toEqual([]);
      expect(await trialBalanceOf(fresh, 2015)).toEqual(await trialBalanceOf(bed, 2015));
    } finally {
      await closeBed(fresh);
    }
  });

  it('leaves transactions above the approval threshold submitted and says so', async () => {
    const other = await openBed('saft_threshold');
    try {
      const report = await importSaft(other.commands, importer, example, { companyId: COMPANY, approvalThreshold: '12000.00' });
      expect(report.applied?.awaitingApproval).toEqual(['saft-no-999999999-A-4567', 'saft-no-999999999-A-5678']);
      expect(report.applied?.transactionsPosted).toBe(1);
    } finally {
      await closeBed(other);
    }
  });
});

describe('POST /api/finance/import/saft', () => {
  let bed: Bed;
  let app: express.Express;
  beforeAll(async () => {
    bed = await openBed('saft_api');
    app = express();
    app.use(pinoHttp({ logger: pino({ level: 'silent' }) }));
    app.use(express.json({ limit: 1024 * 1024 }));
    app.use(testActorFromHeaders);
    app.use(createInterchangeRouter({ commands: bed.commands }));
    app.use((req, _res, next) => next(new HttpProblemError(problem(404, 'NOT_FOUND', `No route for ${req.method} ${req.path}.`))));
    app.use(problemErrorHandler);
  });
  afterAll(async () => closeBed(bed));

  const post = (xml: string, role = 'accountant', contentType = 'application/xml') =>
    request(app).post(`/api/finance/import/saft?companyId=${COMPANY}&approvalThreshold=${HIGH_THRESHOLD}`).set('X-Test-User', 'maria').set('X-Test-Role', role).set('Content-Type', contentType).send(xml);

  it.each(corruptions)('rejects a file with an %s transaction with a report and writes nothing', async (_name, corrupt, code) => {
    const response = await post(corrupt(example));
    expect(response.status).toBe(422);
    expect(response.body.code).toBe('SAFT_IMPORT_REJECTED');
    expect(response.body.report.rejections.map((rejection: { code: string }) => rejection.code)).toContain(code);
    expect(response.body.report.applied).toBeNull();
    expect(await bed.store.readAll({ fromPosition: 'start', maxCount: 1 })).toEqual([]);
  });

  it('answers SAFT_FILE_INVALID for a body that is not SAF-T, 415 for JSON, 403 for an approver', async () => {
    expect((await post('<html/>')).body.code).toBe('SAFT_FILE_INVALID');
    expect((await post('{}', 'accountant', 'application/json')).status).toBe(415);
    expect((await post(example, 'approver')).status).toBe(403);
  });

  it('imports the example with text/xml and reports the closing-balance mismatches', async () => {
    const response = await post(example, 'accountant', 'text/xml');
    expect(response.status).toBe(200);
    expect(response.body.applied.transactionsPosted).toBe(3);
    expect(response.body.closingBalanceMismatches).toContainEqual({
      accountId: '1925',
      openingBalance: '1234.56',
      movements: '-12500.00',
      computedClosingBalance: '-11265.44',
      statedClosingBalance: '12345.67',
    });
    const again = await post(example);
    expect(again.body.applied.eventsAppended).toBe(0);
  });
});
