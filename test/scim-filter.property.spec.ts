import fc from 'fast-check';
import { createTenant, startApp, type TestApp, useMysql } from './helpers/app.js';
import { ENTERPRISE, SCIM_USER } from './helpers/scim.js';

/*
 * Property: for random users and random filters of the whole grammar, the users the server
 * returns (the filter compiled to SQL and run by the database) are exactly those an in-memory
 * evaluation of the filter over their SCIM documents selects. The model is written from
 * RFC 7644 and this server's documented choices: caseExact=false attributes compare with
 * letters folded, an absent value is "not equal" and "not present", `ne` is `not eq`.
 * Values are drawn from a small alphabet full of SQL LIKE and GLOB metacharacters, so that
 * matches are frequent and escaping is exercised.
 */

const RUNS = Number(process.env.SCIM_FILTER_RUNS ?? 120);

type Attr = { path: string; kind: 'text' | 'bool'; fold: boolean; read: (doc: any) => unknown };

const ATTRS: Attr[] = [
  { path: 'userName', kind: 'text', fold: true, read: (d) => d.userName },
  { path: 'displayName', kind: 'text', fold: true, read: (d) => d.displayName },
  { path: 'name.givenName', kind: 'text', fold: true, read: (d) => d.name?.givenName },
  { path: 'name.familyName', kind: 'text', fold: true, read: (d) => d.name?.familyName },
  { path: 'externalId', kind: 'text', fold: false, read: (d) => d.externalId },
  { path: 'emails.value', kind: 'text', fold: true, read: (d) => d.emails?.[0]?.value },
  { path: 'phoneNumbers.value', kind: 'text', fold: false, read: (d) => d.phoneNumbers?.[0]?.value },
  { path: `${ENTERPRISE}:department`, kind: 'text', fold: true, read: (d) => d[ENTERPRISE]?.department },
  { path: `${ENTERPRISE}:employeeNumber`, kind: 'text', fold: false, read: (d) => d[ENTERPRISE]?.employeeNumber },
  { path: 'active', kind: 'bool', fold: false, read: (d) => d.active },
];

type Ast =
  | { kind: 'cmp'; attr: Attr; op: string; value: string | boolean | null }
  | { kind: 'pr'; attr: Attr }
  | { kind: 'and' | 'or'; left: Ast; right: Ast }
  | { kind: 'not'; item: Ast }
  | { kind: 'emails'; inner: Ast };

/** Case folding as both databases do it on this alphabet (its only letters with case are ASCII). */
const fold = (s: string): string => s.replace(/[A-Z]/g, (c) => c.toLowerCase());

function render(ast: Ast): string {
  switch (ast.kind) {
    case 'cmp':
      return `${ast.attr.path} ${ast.op} ${JSON.stringify(ast.value)}`;
    case 'pr':
      return `${ast.attr.path} pr`;
    case 'and':
    case 'or':
      return `(${render(ast.left)} ${ast.kind} ${render(ast.right)})`;
    case 'not':
      return `not (${render(ast.item)})`;
    case 'emails':
      return `emails[${render(ast.inner).replaceAll('emails.value', 'value')}]`;
  }
}

function holds(ast: Ast, doc: any): boolean {
  switch (ast.kind) {
    case 'and':
      return holds(ast.left, doc) && holds(ast.right, doc);
    case 'or':
      return holds(ast.left, doc) || holds(ast.right, doc);
    case 'not':
      return !holds(ast.item, doc);
    case 'emails':
      return doc.emails?.[0]?.value !== undefined && holds(ast.inner, doc);
    case 'pr': {
      const v = ast.attr.read(doc);
      return v !== undefined && v !== null && v !== '';
    }
    case 'cmp': {
      const raw = ast.attr.read(doc);
      if (ast.value === null) return ast.op === 'eq' ? raw === undefined || raw === null || raw === '' : !(raw === undefined || raw === null || raw === '');
      if (raw === undefined || raw === null) return ast.op === 'ne';
      if (ast.attr.kind === 'bool') return ast.op === 'eq' ? raw === ast.value : raw !== ast.value;
      const a = ast.attr.fold ? fold(String(raw)) : String(raw);
      const b = ast.attr.fold ? fold(String(ast.value)) : String(ast.value);
      switch (ast.op) {
        case 'eq':
          return a === b;
        case 'ne':
          return a !== b;
        case 'co':
          return a.includes(b);
        case 'sw':
          return a.startsWith(b);
        case 'ew':
          return a.endsWith(b);
        case 'gt':
          return a > b;
        case 'ge':
          return a >= b;
        case 'lt':
          return a < b;
        case 'le':
          return a <= b;
      }
      throw new Error(`op ${ast.op}`);
    }
  }
}

const ALPHABET = ['a', 'b', 'A', 'B', 'é', '_', '%', '*', '?', '[', ']', '!', '-', '.'];
const word = (min = 1, max = 4) => fc.array(fc.constantFrom(...ALPHABET), { minLength: min, maxLength: max }).map((cs) => cs.join(''));
const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });

const userArb = fc.record({
  local: fc.array(fc.constantFrom('a', 'b', 'c', '-', '_', '.'), { minLength: 1, maxLength: 3 }).map((cs) => cs.join('').replace(/^\.|\.$/g, 'x').replace(/\.\./g, '.x')),
  nameTaken: fc.boolean(),
  displayName: maybe(word()),
  givenName: maybe(word(0, 3)),
  familyName: maybe(word(0, 3)),
  externalId: maybe(word()),
  phone: maybe(fc.constantFrom('+15550001', '+15550002', '+4930123456')),
  department: maybe(word(0, 3)),
  employeeNumber: maybe(word()),
  active: fc.boolean(),
});

function filterArb(docs: any[]): fc.Arbitrary<Ast> {
  const valueFor = (attr: Attr): fc.Arbitrary<string> => {
    const existing = docs.map((d) => attr.read(d)).filter((v): v is string => typeof v === 'string' && v !== '');
    // Upper-cased by ASCII letters only: the databases fold non-ASCII letters differently (documented).
    const upper = (v: string) => v.replace(/[a-z]/g, (c) => c.toUpperCase());
    const pieces = existing.flatMap((v) => [v, v.slice(0, 1), v.slice(-1), upper(v), v.slice(1, 3)]).filter(Boolean);
    return pieces.length ? fc.oneof(fc.constantFrom(...pieces), word(0, 3)) : word(0, 3);
  };
  const leafOn = (attrs: Attr[]): fc.Arbitrary<Ast> =>
    fc.constantFrom(...attrs).chain((attr): fc.Arbitrary<Ast> => {
      if (attr.kind === 'bool') {
        return fc.oneof(
          fc.record({ op: fc.constantFrom('eq', 'ne'), value: fc.boolean() }).map(({ op, value }): Ast => ({ kind: 'cmp', attr, op, value })),
          fc.constant<Ast>({ kind: 'pr', attr }),
        );
      }
      return fc.oneof(
        { weight: 6, arbitrary: fc.record({ op: fc.constantFrom('eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le'), value: valueFor(attr) }).map(({ op, value }): Ast => ({ kind: 'cmp', attr, op, value })) },
        { weight: 1, arbitrary: fc.constant<Ast>({ kind: 'pr', attr }) },
        { weight: 1, arbitrary: fc.constantFrom('eq', 'ne').map((op): Ast => ({ kind: 'cmp', attr, op, value: null })) },
      );
    });
  const emailAttr = ATTRS.find((a) => a.path === 'emails.value')!;
  const { tree } = fc.letrec<{ tree: Ast; node: Ast }>((tie) => ({
    tree: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leafOn(ATTRS), tie('node')),
    node: fc.oneof(
      fc.record({ kind: fc.constantFrom<'and' | 'or'>('and', 'or'), left: tie('tree'), right: tie('tree') }),
      tie('tree').map((item): Ast => ({ kind: 'not', item })),
      leafOn([emailAttr]).map((inner): Ast => ({ kind: 'emails', inner })),
    ),
  }));
  return tree;
}

describe(`SCIM filters compiled to SQL agree with their meaning (${useMysql ? 'MariaDB' : 'SQLite'})`, () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it.each([1, 2])('on random data set %i', async (seed) => {
    const tenant = await createTenant(t);
    const users = fc.sample(userArb, { numRuns: 30, seed });
    const seen = new Set<string>();
    for (const [i, u] of users.entries()) {
      const email = `${u.local}${i}@set${seed}.test`;
      const userName = u.nameTaken ? `${u.local}${ALPHABET[i % ALPHABET.length]}${i}`.replace(/\s/g, '') : email;
      if (seen.has(userName.toLowerCase())) continue;
      seen.add(userName.toLowerCase());
      const body: Record<string, unknown> = {
        schemas: [SCIM_USER, ENTERPRISE],
        userName,
        emails: [{ value: email, primary: true }],
        active: u.active,
        name: { givenName: u.givenName, familyName: u.familyName },
        [ENTERPRISE]: { department: u.department, employeeNumber: u.employeeNumber },
      };
      if (u.displayName !== undefined) body.displayName = u.displayName;
      if (u.externalId !== undefined) body.externalId = `${u.externalId}${i}`;
      if (u.phone !== undefined) body.phoneNumbers = [{ value: u.phone }];
      const res = await t.call('POST', '/scim/v2/Users', { tenant: tenant.id, body });
      if (res.status !== 201) throw new Error(`seed user: ${res.status} ${res.text}`);
    }
    const all = (await t.call('GET', '/scim/v2/Users?count=200', { tenant: tenant.id })).body.Resources as any[];
    expect(all.length).toBeGreaterThan(20);

    await fc.assert(
      fc.asyncProperty(filterArb(all), async (ast) => {
        const filter = render(ast);
        const res = await t.call('GET', `/scim/v2/Users?count=200&attributes=id&filter=${encodeURIComponent(filter)}`, { tenant: tenant.id });
        if (res.status !== 200) throw new Error(`${filter}: ${res.status} ${res.text}`);
        const got = (res.body.Resources as any[]).map((r) => r.id).sort();
        const expected = all.filter((doc) => holds(ast, doc)).map((doc) => doc.id).sort();
        expect({ filter, got }).toEqual({ filter, got: expected });
        expect(res.body.totalResults).toBe(expected.length);
      }),
      { numRuns: RUNS, seed },
    );
  });
});
