/** Offers `data` as a JSON file download, without a round trip to the server. */
export function downloadJson(fileName: string, data: unknown): void {
  const blob = new Blob([JSON.stringify(data, null, 2)], { type: 'application/json' })
  const url = URL.createObjectURL(blob)
  const link = document.createElement('a')
  link.href = url
  link.download = fileName
  link.rel = 'noopener'
  document.body.append(link)
  link.click()
  link.remove()
  // Revoked after the click was handled: some browsers start the download on a later tick.
  setTimeout(() => URL.revokeObjectURL(url), 0)
}
