/**
 * A second baseline: a NestJS 12 hello-world on the Fastify adapter, no guards, no logging,
 * no database (node dist/bench/nest-hello-server.js <port>). The distance between it and the
 * bare Fastify hello-world is the framework's own cost per request.
 */
import 'reflect-metadata';
import { Controller, Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';

@Controller()
class HelloController {
  @Get()
  hello(): { hello: string } {
    return { hello: 'world' };
  }
}

@Module({ controllers: [HelloController] })
class HelloModule {}

const port = Number(process.argv[2] ?? process.env.PORT ?? '3002');
const app = await NestFactory.create<NestFastifyApplication>(HelloModule, new FastifyAdapter(), { logger: false });
process.on('SIGTERM', () => {
  void app.close().then(() => process.exit(0));
});
await app.listen(port, '127.0.0.1');
