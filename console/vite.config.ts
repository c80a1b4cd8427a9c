import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';

/**
 * Writes a brotli and a gzip copy beside each text asset, so the service sends the smallest
 * one the browser accepts without compressing anything per request.
 */
function precompress(): Plugin {
  return {
    name: 'identity-precompress',
    apply: 'build',
    // Last: the chunks as written, after Vite has filled in its dynamic-import preload lists.
    generateBundle: {
      order: 'post',
      handler(_options, bundle) {
        for (const [fileName, item] of Object.entries(bundle)) {
          if (!/\.(js|css|svg|json)$/.test(fileName)) continue;
          const source = item.type === 'chunk' ? item.code : item.source;
          const bytes = typeof source === 'string' ? Buffer.from(source) : Buffer.from(source);
          if (bytes.length < 1024) continue;
          this.emitFile({
            type: 'asset',
            fileName: `${fileName}.br`,
            source: brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }),
          });
          this.emitFile({ type: 'asset', fileName: `${fileName}.gz`, source: gzipSync(bytes, { level: 9 }) });
        }
      },
    },
  };
}

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/console/',
  publicDir: false,
  oxc: { jsx: { runtime: 'automatic' } },
  plugins: [precompress()],
  // `npm run dev --workspace console`: the API of a service running on port 3000 (or CONSOLE_API).
  server: { proxy: { '/api': process.env.CONSOLE_API ?? 'http://127.0.0.1:3000' } },
  build: {
    outDir: fileURLToPath(new URL('../dist/console', import.meta.url)),
    emptyOutDir: true,
    assetsDir: 'assets',
    // The console inlines nothing: every asset is a file of its own, which the
    // Content-Security-Policy allows from 'self'.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: false,
    target: 'es2022',
    // One chunk for the console, about 140 KB brotli, well inside the first-load budget; pages
    // added since (webhooks, import) are chunks of their own, loaded when first opened.
    chunkSizeWarningLimit: 700,
    rolldownOptions: {
      checks: { pluginTimings: false },
      onLog(level, log, handler) {
        // React Query marks its modules "use client" for server components; a browser bundle ignores it.
        if (log.code === 'MODULE_LEVEL_DIRECTIVE') return;
        handler(level, log);
      },
    },
  },
});
