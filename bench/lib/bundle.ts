/** Builds a benchmark page from bench/browser/ with the app's real modules (`@` → src/). */
import path from 'node:path'
import { build } from 'vite'

export interface BenchBundleOptions {
  projectRoot: string
  outDir: string
  /** The HTML pages in bench/browser/ to build. */
  pages: string[]
  /** The URL path the bundle is served under. */
  base?: string
}

export async function buildBenchBundle({ projectRoot, outDir, pages, base = '/' }: BenchBundleOptions): Promise<void> {
  const root = path.join(projectRoot, 'bench/browser')
  await build({
    configFile: false,
    root,
    base,
    publicDir: false,
    cacheDir: path.join(projectRoot, 'node_modules/.vite-bench'),
    logLevel: 'warn',
    resolve: { alias: { '@': path.join(projectRoot, 'src') } },
    define: {
      __APP_VERSION__: JSON.stringify('bench'),
      __VUE_OPTIONS_API__: 'false',
      __VUE_PROD_DEVTOOLS__: 'false',
      __VUE_PROD_HYDRATION_MISMATCH_DETAILS__: 'false',
      __VUE_I18N_FULL_INSTALL__: 'false',
      __VUE_I18N_LEGACY_API__: 'false',
      __INTLIFY_PROD_DEVTOOLS__: 'false',
      __INTLIFY_DROP_MESSAGE_COMPILER__: 'true',
    },
    build: {
      outDir,
      emptyOutDir: true,
      target: 'es2022',
      sourcemap: false,
      reportCompressedSize: false,
      rollupOptions: { input: Object.fromEntries(pages.map((page) => [path.basename(page, '.html'), path.join(root, page)])) },
    },
  })
}
