import type { ledger as wire } from '@neuroerp/schemas';

/**
 * A small demo chart of accounts for a German GmbH following the DATEV SKR03 numbering
 * (Prozessgliederungsprinzip), kept in EUR. Pure data: seed it with
 * `ImportChartOfAccounts { companyId, accounts: SKR03_DEMO_CHART }`.
 *
 * It is a demo, not a complete SKR03: about thirty accounts that cover cash, bank, receivables,
 * payables, VAT 19 %/7 %, goods purchased, salaries, rent, revenue, equity, FX differences,
 * the opening-balance account 9000 and a rounding-differences account. SKR03 has no
 * dedicated rounding account; 4999 is company-defined (as SKR03 leaves room for).
 * Receivables and payables are multi-currency (`currency: null`) so foreign invoices can
 * post to them; 1210 is a USD bank account.
 */
export const SKR03_DEMO_CHART: readonly wire.AccountDefinition[] = [
  // Class 0: fixed assets, equity, long-term liabilities
  { accountNumber: '0027', name: 'EDV-Software', type: 'asset', currency: 'EUR' },
  { accountNumber: '0320', name: 'Pkw', type: 'asset', currency: 'EUR' },
  { accountNumber: '0420', name: 'Büroeinrichtung', type: 'asset', currency: 'EUR' },
  { accountNumber: '0630', name: 'Verbindlichkeiten gegenüber Kreditinstituten', type: 'liability', currency: 'EUR' },
  { accountNumber: '0800', name: 'Gezeichnetes Kapital', type: 'equity', currency: 'EUR' },
  { accountNumber: '0840', name: 'Kapitalrücklage', type: 'equity', currency: 'EUR' },
  { accountNumber: '0860', name: 'Gewinnvortrag vor Verwendung', type: 'equity', currency: 'EUR' },
  { accountNumber: '0868', name: 'Verlustvortrag vor Verwendung', type: 'equity', currency: 'EUR' },
  { accountNumber: '0970', name: 'Sonstige Rückstellungen', type: 'liability', currency: 'EUR' },
  // Class 1: financial and private accounts
  { accountNumber: '1000', name: 'Kasse', type: 'asset', currency: 'EUR' },
  { accountNumber: '1200', name: 'Bank', type: 'asset', currency: 'EUR' },
  { accountNumber: '1210', name: 'Bank (USD-Konto)', type: 'asset', currency: 'USD' },
  { accountNumber: '1360', name: 'Geldtransit', type: 'asset', currency: 'EUR' },
  { accountNumber: '1400', name: 'Forderungen aus Lieferungen und Leistungen', type: 'asset', currency: null },
  { accountNumber: '1571', name: 'Abziehbare Vorsteuer 7 %', type: 'asset', currency: 'EUR' },
  { accountNumber: '1576', name: 'Abziehbare Vorsteuer 19 %', type: 'asset', currency: 'EUR' },
  { accountNumber: '1600', name: 'Verbindlichkeiten aus Lieferungen und Leistungen', type: 'liability', currency: null },
  { accountNumber: '1740', name: 'Verbindlichkeiten aus Lohn und Gehalt', type: 'liability', currency: 'EUR' },
  { accountNumber: '1741', name: 'Verbindlichkeiten aus Lohn- und Kirchensteuer', type: 'liability', currency: 'EUR' },
  { accountNumber: '1771', name: 'Umsatzsteuer 7 %', type: 'liability', currency: 'EUR' },
  { accountNumber: '1776', name: 'Umsatzsteuer 19 %', type: 'liability', currency: 'EUR' },
  { accountNumber: '1780', name: 'Umsatzsteuer-Vorauszahlungen', type: 'asset', currency: 'EUR' },
  // Class 2: delimitation accounts (interest, FX differences)
  { accountNumber: '2110', name: 'Zinsaufwendungen für kurzfristige Verbindlichkeiten', type: 'expense', currency: 'EUR' },
  { accountNumber: '2150', name: 'Aufwendungen aus Kursdifferenzen', type: 'expense', currency: 'EUR' },
  { accountNumber: '2650', name: 'Sonstige Zinsen und ähnliche Erträge', type: 'revenue', currency: 'EUR' },
  { accountNumber: '2660', name: 'Erträge aus Kursdifferenzen', type: 'revenue', currency: 'EUR' },
  // Class 3: goods
  { accountNumber: '3300', name: 'Wareneingang 7 % Vorsteuer', type: 'expense', currency: 'EUR' },
  { accountNumber: '3400', name: 'Wareneingang 19 % Vorsteuer', type: 'expense', currency: 'EUR' },
  // Class 4: operating expenses (personnel costs need a cost centre)
  { accountNumber: '4120', name: 'Gehälter', type: 'expense', currency: 'EUR', requiredDimensions: ['cost_centre'] },
  { accountNumber: '4130', name: 'Gesetzliche soziale Aufwendungen', type: 'expense', currency: 'EUR', requiredDimensions: ['cost_centre'] },
  { accountNumber: '4210', name: 'Miete', type: 'expense', currency: 'EUR' },
  { accountNumber: '4830', name: 'Abschreibungen auf Sachanlagen', type: 'expense', currency: 'EUR' },
  { accountNumber: '4930', name: 'Bürobedarf', type: 'expense', currency: 'EUR' },
  { accountNumber: '4970', name: 'Nebenkosten des Geldverkehrs', type: 'expense', currency: 'EUR' },
  { accountNumber: '4999', name: 'Rundungsdifferenzen (betriebsindividuell)', type: 'expense', currency: 'EUR' },
  // Class 8: revenue
  { accountNumber: '8125', name: 'Steuerfreie innergemeinschaftliche Lieferungen', type: 'revenue', currency: 'EUR' },
  { accountNumber: '8300', name: 'Erlöse 7 % USt', type: 'revenue', currency: 'EUR' },
  { accountNumber: '8400', name: 'Erlöse 19 % USt', type: 'revenue', currency: 'EUR' },
  // Class 9: carry-forward accounts
  { accountNumber: '9000', name: 'Saldenvorträge, Sachkonten', type: 'equity', currency: 'EUR' },
];

/** The fiscal-year settings that go with SKR03_DEMO_CHART (OpenFiscalYear body fields). */
export const SKR03_DEMO_SETTINGS = {
  companyCurrency: 'EUR',
  roundingAccountNumber: '4999',
  retainedEarningsAccountNumber: '0860',
  openingBalanceAccountNumber: '9000',
  fxGainAccountNumber: '2660',
  fxLossAccountNumber: '2150',
} as const;
