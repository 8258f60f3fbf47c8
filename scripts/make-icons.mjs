// Renders public/icons/icon.svg to the PNG sizes the web manifest names, with Debian's Chromium.
// Run by hand after changing the SVG: node scripts/make-icons.mjs
import { readFile } from 'node:fs/promises'
import { chromium } from 'playwright-core'

const svg = await readFile(new URL('../public/icons/icon.svg', import.meta.url), 'utf8')
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
})
const targets = [
  { file: 'icon-192.png', size: 192, padding: 0 },
  { file: 'icon-512.png', size: 512, padding: 0 },
  // Maskable icons keep their content inside the inner 80 % safe zone.
  { file: 'icon-maskable-512.png', size: 512, padding: 0.1 },
]
for (const { file, size, padding } of targets) {
  const page = await browser.newPage({ viewport: { width: size, height: size } })
  const inner = Math.round(size * (1 - 2 * padding))
  await page.setContent(
    `<body style="margin:0;background:#0b5d6b;display:grid;place-items:center;width:${size}px;height:${size}px">` +
      `<div style="width:${inner}px;height:${inner}px">${svg.replace('<svg ', `<svg width="${inner}" height="${inner}" `)}</div></body>`,
  )
  await page.screenshot({ path: new URL(`../public/icons/${file}`, import.meta.url).pathname, omitBackground: padding === 0 })
  await page.close()
}
await browser.close()
