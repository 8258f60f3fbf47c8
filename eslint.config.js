// @ts-check
import js from '@eslint/js'
import pluginVue from 'eslint-plugin-vue'
import { defineConfigWithVueTs, vueTsConfigs } from '@vue/eslint-config-typescript'
import globals from 'globals'

/** What the UI layers (views, components, composables) may not reach: storage and network. */
const uiMayNotImport = [
  { group: ['dexie', 'dexie/*'], message: 'Views, components and composables never touch Dexie: go through a store.' },
  { regex: '^(@|\\.\\.)(/\\.\\.)*/db(/(?!errors$).*)?$', message: 'Go through a Pinia store; repositories are for stores only.' },
  { group: ['@/sync', '@/sync/*', '../sync/*'], message: 'Sync is driven by stores, not by the UI.' },
]
const noNetwork = [
  { name: 'fetch', message: 'Network calls belong in src/sync.' },
  { name: 'XMLHttpRequest', message: 'Network calls belong in src/sync.' },
  { name: 'indexedDB', message: 'Storage belongs in src/db.' },
]

export default defineConfigWithVueTs(
  { ignores: ['dist/**', 'dist-bench/**', 'node_modules/**', 'coverage/**', 'test-results/**', '.scratch/**'] },
  js.configs.recommended,
  pluginVue.configs['flat/recommended'],
  vueTsConfigs.recommended,
  {
    rules: {
      'vue/no-v-html': 'error',
      // Every UI string comes from locales/.
      'vue/no-bare-strings-in-template': 'error',
      'vue/max-attributes-per-line': 'off',
      'vue/singleline-html-element-content-newline': 'off',
      'vue/html-self-closing': 'off',
      'vue/multi-word-component-names': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
      'no-console': ['error', { allow: ['warn', 'error'] }],
    },
  },
  {
    files: ['src/**/*.{ts,vue}'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    files: ['src/views/**', 'src/components/**', 'src/composables/**', 'src/App.vue'],
    rules: {
      'no-restricted-imports': ['error', { patterns: uiMayNotImport }],
      'no-restricted-globals': ['error', ...noNetwork],
    },
  },
  {
    files: ['src/stores/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['dexie', 'dexie/*'], message: 'Stores call repositories in src/db.' }, { group: ['@/views/*', '@/components/*'], message: 'Stores do not know the UI.' }] }],
      'no-restricted-globals': ['error', ...noNetwork],
    },
  },
  {
    files: ['src/db/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['@/stores/*', '@/views/*', '@/components/*', '@/composables/*'], message: 'The data layer does not depend on the UI.' }] }],
      'no-restricted-globals': ['error', noNetwork[0], noNetwork[1]],
    },
  },
  {
    files: ['src/shared/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['@/*', '../*', 'vue', 'dexie', 'pinia'], message: 'src/shared is pure TypeScript that the server imports too: no app code, no framework.' }] }],
    },
  },
  {
    files: ['server/**', 'scripts/**', 'bench/**', 'tests/**', '*.config.{js,ts}', '.ci/**'],
    languageOptions: { globals: { ...globals.node } },
    rules: { 'no-console': 'off' },
  },
  {
    files: ['bench/**', 'tests/e2e/**'],
    languageOptions: { globals: { ...globals.browser, ...globals.node } },
  },
)
