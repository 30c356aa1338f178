import { accountLabel, actorId, actorLabel, assigneeOf, shortId, userLabel } from './names';

describe('names', () => {
  it('shortens long ids and keeps short ones', () => {
    expect(shortId('accountant')).toBe('accountant');
    expect(shortId('0f8e4a52-7d1c-4e3b-9a8f-123456789abc')).toBe('0f8e4a52-7d1…');
    expect(shortId(null)).toBe('—');
    expect(shortId('')).toBe('—');
  });

  it('prefers the user name and falls back to the shortened id', () => {
    expect(userLabel('0f8e4a52-7d1c-4e3b-9a8f-123456789abc', 'approver')).toBe('approver');
    expect(userLabel('0f8e4a52-7d1c-4e3b-9a8f-123456789abc', null)).toBe('0f8e4a52-7d1…');
    expect(userLabel('0f8e4a52-7d1c-4e3b-9a8f-123456789abc', '  ')).toBe('0f8e4a52-7d1…');
    expect(userLabel(null)).toBe('—');
  });

  it('shows an actor as "username (role)", never as JSON', () => {
    expect(actorLabel({ userId: 'u-1', role: 'approver', username: 'approver' })).toBe('approver (approver)');
    expect(actorLabel({ userId: '0f8e4a52-7d1c-4e3b-9a8f-123456789abc', role: 'accountant' })).toBe('0f8e4a52-7d1… (accountant)');
    expect(actorLabel({ userId: 'system' })).toBe('system');
    expect(actorLabel('u-2')).toBe('u-2');
    expect(actorLabel(null)).toBe('—');
    expect(actorId({ userId: 'u-1', role: 'x' })).toBe('u-1');
    expect(actorId('u-2')).toBe('u-2');
    expect(actorId(null)).toBe('');
  });

  it('tells role and user assignees apart', () => {
    expect(assigneeOf({ role: 'approver' })).toEqual({ kind: 'role', role: 'approver' });
    expect(assigneeOf({ userId: 'u-1', username: 'anna' })).toEqual({ kind: 'user', label: 'anna', id: 'u-1' });
    expect(assigneeOf(null)).toBeNull();
  });

  it('labels accounts with their name when there is one', () => {
    expect(accountLabel('4210', 'Miete')).toBe('4210 – Miete');
    expect(accountLabel('4210', null)).toBe('4210');
    expect(accountLabel(null, 'Jahresergebnis')).toBe('Jahresergebnis');
  });
});
