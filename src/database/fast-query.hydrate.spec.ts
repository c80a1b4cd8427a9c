import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { DataSource } from 'typeorm';
import { Group } from '../groups/group.entity.js';
import { UserPlan } from '../users/user-relations.entity.js';
import { User } from '../users/user.entity.js';
import { ENTITIES } from './entities.js';
import { hydrate, hydrateValues } from './fast-query.js';
import { SnakeNamingStrategy } from './naming.strategy.js';

/** Dates by their time, so that two invalid dates compare equal, as they serialise equal. */
const comparable = (entity: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(entity).map(([key, v]) => [key, v instanceof Date ? `Date(${v.getTime()})` : v]));

/** hydrate takes shortcuts per column kind; each must give what the driver itself gives. */
describe('hydrate', () => {
  let dataSource: DataSource;
  beforeAll(async () => {
    dataSource = await new DataSource({ type: 'better-sqlite3', database: ':memory:', entities: ENTITIES, namingStrategy: new SnakeNamingStrategy() }).initialize();
  });
  afterAll(async () => {
    await dataSource.destroy();
  });

  const stored = fc.date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('2999-12-31T23:59:59Z'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 23).replace('T', ' '));
  const value = fc.oneof(fc.constant(null), fc.constant(0), fc.constant(1), fc.integer(), fc.string(), stored, fc.constant('2026-11-30 16:20:00'), fc.constant('2026-11-30T16:20:00.123Z'), fc.constant('[]'), fc.constant('["users:read"]'));

  for (const target of [User, Group, UserPlan]) {
    it(`converts every column of ${target.name} as the driver does`, () => {
      const metadata = dataSource.getMetadata(target);
      fc.assert(
        fc.property(fc.array(value, { minLength: metadata.columns.length, maxLength: metadata.columns.length }), (values) => {
          const row = Object.fromEntries(metadata.columns.map((column, i) => [column.databaseName, values[i]]));
          const expected: Record<string, unknown> = {};
          const driverHydrates = () => {
            for (const column of metadata.columns) expected[column.propertyName] = dataSource.driver.prepareHydratedValue(row[column.databaseName], column);
          };
          let parsed: Record<string, unknown> = {};
          const hydrates = () => void (parsed = { ...hydrate(metadata, row, {} as Record<string, unknown>) });
          try {
            driverHydrates();
          } catch {
            // A value a column's transformer refuses (JSON of another shape) is refused by hydrate too.
            expect(hydrates).toThrow();
            return;
          }
          hydrates();
          expect(comparable({ ...hydrateValues(metadata, values, {} as Record<string, unknown>) })).toEqual(comparable(expected));
          expect(comparable(parsed)).toEqual(comparable(expected));
        }),
        { numRuns: 300 },
      );
    });
  }
});
