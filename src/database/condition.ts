import { DomainError } from '../common/errors.js';

/*
 * A filter over a table's rows, as data: what a feature asks for (SCIM's filters, for one),
 * compiled here to parameterised SQL over the columns a repository names. Nothing of the
 * value ever reaches the SQL text; every value is a parameter.
 */

export type CompareOp = 'eq' | 'ne' | 'co' | 'sw' | 'ew' | 'gt' | 'ge' | 'lt' | 'le';
export type ConditionValue = string | number | boolean | null;

export type Condition =
  | { kind: 'and' | 'or'; items: Condition[] }
  | { kind: 'not'; item: Condition }
  | { kind: 'compare'; field: string; op: CompareOp; value: ConditionValue }
  | { kind: 'present'; field: string }
  /** Some row of a related table (a user's groups, a group's members) satisfies `where`. */
  | { kind: 'some'; relation: string; where: Condition }
  | { kind: 'constant'; value: boolean };

export const ALWAYS: Condition = { kind: 'constant', value: true };

/**
 * How a text column compares:
 * - exact: as stored, case and all (externalId);
 * - lower: stored lower-cased (email, username), so values are lower-cased before comparing;
 * - fold: case-insensitive through the database's LOWER() on both sides (names). SQLite's
 *   LOWER() folds ASCII letters only, MariaDB's the whole of Unicode.
 */
export type TextMode = 'exact' | 'lower' | 'fold';

export interface FieldSql {
  type: 'text' | 'boolean' | 'timestamp' | 'integer';
  /** The column (or expression), qualified with its table's alias. */
  column: string;
  text?: TextMode;
  nullable: boolean;
  /**
   * A positive `eq` written another way, so that an index serves it (pushes its own
   * parameters, gets the value already normalised).
   */
  eq?: (value: string, params: unknown[]) => string;
}

export interface RelationSql {
  /** `EXISTS (SELECT 1 FROM … WHERE <tenant and link> AND ` with its parameters pushed; closed by `)`. */
  open: (params: unknown[]) => string;
  fields: Record<string, FieldSql>;
}

export interface TableSql {
  fields: Record<string, FieldSql>;
  relations?: Record<string, RelationSql>;
}

export type Dialect = 'mysql' | 'sqlite';

const invalid = (detail: string): DomainError => new DomainError('invalid_filter', detail);

/** Escapes LIKE's wildcards with `!` (as the rest of the service does). */
function likeEscape(value: string): string {
  return value.replace(/[!%_]/g, (c) => `!${c}`);
}

/** GLOB has no escape character; a special character is matched as a one-character class. */
function globEscape(value: string): string {
  return value.replace(/[*?[]/g, (c) => `[${c}]`);
}

/**
 * Compiles a condition into a SQL boolean expression, pushing its parameters in order.
 * NOT is pushed down to the leaves, where an absent value (NULL) counts as "not equal" and
 * "not present": the result is always true or false, never SQL's unknown.
 */
export function compileCondition(condition: Condition, table: TableSql, dialect: Dialect, params: unknown[]): string {
  return new Compiler(dialect, params).compile(condition, table, false);
}

class Compiler {
  constructor(
    private readonly dialect: Dialect,
    private readonly params: unknown[],
  ) {}

  compile(condition: Condition, table: TableSql, negated: boolean): string {
    switch (condition.kind) {
      case 'constant':
        return condition.value !== negated ? '1 = 1' : '1 = 0';
      case 'not':
        return this.compile(condition.item, table, !negated);
      case 'and':
      case 'or': {
        if (condition.items.length === 0) return this.compile({ kind: 'constant', value: condition.kind === 'and' }, table, negated);
        const joiner = (condition.kind === 'and') !== negated ? ' AND ' : ' OR ';
        return `(${condition.items.map((item) => this.compile(item, table, negated)).join(joiner)})`;
      }
      case 'present': {
        const field = this.field(table, condition.field);
        const blank = field.type === 'text' ? ` AND ${field.column} <> ''` : '';
        return negated ? `NOT (${field.column} IS NOT NULL${blank})` : `(${field.column} IS NOT NULL${blank})`;
      }
      case 'some': {
        const relation = table.relations?.[condition.relation];
        if (!relation) throw invalid(`${condition.relation} cannot be filtered on`);
        const open = relation.open(this.params);
        const inner = this.compile(condition.where, { fields: relation.fields }, false);
        return `${negated ? 'NOT ' : ''}${open}${inner})`;
      }
      case 'compare': {
        const field = this.field(table, condition.field);
        if (condition.value === null) {
          // `eq null` asks for an absent value, `ne null` for a present one.
          if (condition.op !== 'eq' && condition.op !== 'ne') throw invalid(`${condition.field} ${condition.op} null is not a comparison`);
          return this.compile({ kind: 'present', field: condition.field }, table, (condition.op === 'eq') !== negated);
        }
        if (condition.op === 'ne') return this.compile({ ...condition, op: 'eq' }, table, !negated);
        if (!negated) return this.compare(field, condition.field, condition.op, condition.value, true);
        const expression = this.compare(field, condition.field, condition.op, condition.value, false);
        return field.nullable ? `(${field.column} IS NULL OR NOT ${expression})` : `NOT ${expression}`;
      }
    }
  }

  private field(table: TableSql, name: string): FieldSql {
    const field = Object.hasOwn(table.fields, name) ? table.fields[name] : undefined;
    if (!field) throw invalid(`${name} cannot be filtered on`);
    return field;
  }

  private push(value: unknown): string {
    this.params.push(value);
    return '?';
  }

  private binary(sql: string): string {
    return this.dialect === 'mysql' ? `CAST(${sql} AS BINARY)` : sql;
  }

  private compare(field: FieldSql, name: string, op: Exclude<CompareOp, 'ne'>, raw: string | number | boolean, positive: boolean): string {
    switch (field.type) {
      case 'boolean': {
        const value = typeof raw === 'string' && /^(true|false)$/i.test(raw) ? raw.toLowerCase() === 'true' : raw;
        if (typeof value !== 'boolean') throw invalid(`${name} is true or false`);
        if (op !== 'eq') throw invalid(`${name} is a boolean: only eq, ne and pr apply`);
        return `(${field.column} = ${value ? 1 : 0})`;
      }
      case 'integer': {
        const value = typeof raw === 'string' && /^-?\d{1,15}$/.test(raw) ? Number(raw) : raw;
        if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw invalid(`${name} is an integer`);
        if (op === 'co' || op === 'sw' || op === 'ew') throw invalid(`${name} is a number: ${op} does not apply`);
        return `(${field.column} ${SQL_OPERATOR[op]} ${this.push(value)})`;
      }
      case 'timestamp': {
        const date = typeof raw === 'string' ? new Date(raw) : null;
        if (!date || Number.isNaN(date.getTime()) || !/^\d{4}-\d{2}-\d{2}/.test(String(raw))) throw invalid(`${name} is a date-time (ISO 8601)`);
        if (op === 'co' || op === 'sw' || op === 'ew') throw invalid(`${name} is a date-time: ${op} does not apply`);
        // SQLite holds datetime(3) as UTC text, as TypeORM writes it.
        const value = this.dialect === 'sqlite' ? date.toISOString().replace('T', ' ').replace('Z', '') : date;
        return `(${field.column} ${SQL_OPERATOR[op]} ${this.push(value)})`;
      }
      case 'text':
        return this.compareText(field, op, typeof raw === 'string' ? raw : String(raw), positive);
    }
  }

  private compareText(field: FieldSql, op: Exclude<CompareOp, 'ne'>, raw: string, positive: boolean): string {
    const mode = field.text ?? 'exact';
    const value = mode === 'lower' ? raw.toLowerCase() : raw;
    const column = mode === 'fold' ? `LOWER(${field.column})` : field.column;
    const param = (v: string) => (mode === 'fold' ? `LOWER(${this.push(v)})` : this.push(v));
    if (op === 'eq') {
      if (positive && field.eq) return field.eq(value, this.params);
      if (this.dialect === 'sqlite') return `(${column} = ${param(value)})`;
      // MariaDB compares by the column's case- and accent-insensitive collation, which lets
      // the index find the candidates; the binary comparison then keeps only exact matches.
      return `(${field.column} = ${this.push(value)} AND ${this.binary(column)} = ${this.binary(param(value))})`;
    }
    if (op === 'gt' || op === 'ge' || op === 'lt' || op === 'le') {
      return `(${this.binary(column)} ${SQL_OPERATOR[op]} ${this.binary(param(value))})`;
    }
    const [before, after] = op === 'sw' ? ['', '*'] : op === 'ew' ? ['*', ''] : ['*', '*'];
    if (this.dialect === 'sqlite') return `(${column} GLOB ${param(`${before}${globEscape(value)}${after}`)})`;
    const pattern = `${before ? '%' : ''}${likeEscape(value)}${after ? '%' : ''}`;
    return `(${this.binary(column)} LIKE ${this.binary(param(pattern))} ESCAPE '!')`;
  }
}

const SQL_OPERATOR = { eq: '=', gt: '>', ge: '>=', lt: '<', le: '<=' } as const;

/** Counts the leaves of a condition, for limits on what a caller may ask. */
export function conditionSize(condition: Condition): number {
  switch (condition.kind) {
    case 'and':
    case 'or':
      return condition.items.reduce((sum, item) => sum + conditionSize(item), 0);
    case 'not':
      return conditionSize(condition.item);
    case 'some':
      return 1 + conditionSize(condition.where);
    case 'compare':
    case 'present':
    case 'constant':
      return 1;
  }
}

/** Every field a condition compares, with the operator (`pr` for presence), relations as `relation.field`. */
export function comparedFields(condition: Condition, prefix = ''): { field: string; op: CompareOp | 'pr' }[] {
  switch (condition.kind) {
    case 'and':
    case 'or':
      return condition.items.flatMap((item) => comparedFields(item, prefix));
    case 'not':
      return comparedFields(condition.item, prefix);
    case 'some':
      return comparedFields(condition.where, `${prefix}${condition.relation}.`);
    case 'compare':
      return [{ field: `${prefix}${condition.field}`, op: condition.op }];
    case 'present':
      return [{ field: `${prefix}${condition.field}`, op: 'pr' }];
    case 'constant':
      return [];
  }
}
