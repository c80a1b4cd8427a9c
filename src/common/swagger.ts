import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';

export function setupSwagger(app: INestApplication): void {
  const config = new DocumentBuilder()
    .setTitle('Identity service')
    .setDescription(
      'Multi-tenant identity API. Errors are application/problem+json. The operator authenticates with ' +
        'X-Admin-Key and names the tenant with X-Tenant-Id (id or slug) on tenant-scoped routes; users and ' +
        'integrations send Authorization: Bearer with an access token or an API key.',
    )
    .setVersion('2')
    .addApiKey({ type: 'apiKey', in: 'header', name: 'X-Admin-Key', description: 'Operator key' }, 'operator')
    .addApiKey({ type: 'apiKey', in: 'header', name: 'X-Tenant-Id', description: 'Tenant id or slug (operator only)' }, 'tenant')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT or idk_ API key' }, 'bearer')
    .addSecurityRequirements('operator')
    .addSecurityRequirements('bearer')
    .build();
  const document = SwaggerModule.createDocument(app, config);
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs/json', yamlDocumentUrl: 'docs/yaml' });
}
