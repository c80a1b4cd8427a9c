import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants.js';
import { ModulesContainer } from '@nestjs/core';
import type { INestApplication } from '@nestjs/common';
import { ACCESS_RULE, type AccessRule } from './access.decorators.js';

export interface RouteInfo {
  method: string;
  path: string;
  controller: string;
  /** The controller class, for reading what the handler declares (parameter types, DTOs). */
  controllerType: new (...args: unknown[]) => object;
  handler: string;
  rule: AccessRule | undefined;
}

function join(...parts: string[]): string {
  const path = parts
    .flatMap((p) => p.split('/'))
    .filter(Boolean)
    .join('/');
  return `/${path}`;
}

/** Every HTTP route the application registered, with the access rule it declares. */
export function listRoutes(app: INestApplication): RouteInfo[] {
  const routes: RouteInfo[] = [];
  for (const module of app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const metatype = wrapper.metatype as (new (...args: unknown[]) => object) | null;
      if (!metatype) continue;
      const base = String(Reflect.getMetadata(PATH_METADATA, metatype) ?? '');
      const classRule = Reflect.getMetadata(ACCESS_RULE, metatype) as AccessRule | undefined;
      const prototype = metatype.prototype as Record<string, unknown>;
      for (const name of Object.getOwnPropertyNames(prototype)) {
        const handler = prototype[name];
        if (name === 'constructor' || typeof handler !== 'function') continue;
        const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
        if (method === undefined) continue;
        const path = Reflect.getMetadata(PATH_METADATA, handler) as string | string[] | undefined;
        for (const sub of Array.isArray(path) ? path : [path ?? '']) {
          routes.push({
            method: RequestMethod[method],
            path: join(base, sub),
            controller: metatype.name,
            controllerType: metatype,
            handler: name,
            rule: (Reflect.getMetadata(ACCESS_RULE, handler) as AccessRule | undefined) ?? classRule,
          });
        }
      }
    }
  }
  return routes;
}
