import { createApp } from './bootstrap.js';
import { ConfigError, loadConfig } from './config/app-config.js';
import { Metrics } from './metrics/metrics.service.js';

async function main(): Promise<void> {
  try {
    process.loadEnvFile();
  } catch {
    // no .env file: the environment alone configures the service
  }
  let config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const app = await createApp(config);
  await app.listen({ port: config.port, host: config.host });
  await app.get(Metrics).listen();
}

void main();
