import type { INestApplication } from '@nestjs/common';
import { SwaggerModule } from '@nestjs/swagger';
import { buildApiDocument } from './openapi/document.js';

/** Swagger UI at /docs and the OpenAPI document at /docs/json (and /docs/yaml). */
export function setupSwagger(app: INestApplication): void {
  const document = buildApiDocument(app);
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs/json', yamlDocumentUrl: 'docs/yaml' });
}
