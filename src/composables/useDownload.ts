/** Offers `data` as a JSON file download, without a round trip to the server. */
export function downloadJson(fileName: string, data: unknown): void {
  downloadText(fileName, JSON.stringify(data, null, 2), 'application/json')
}

/** Offers a text (an `.ics` calendar file, say) as a file download, encoded as UTF-8. */
export function downloadText(fileName: string, text: string, type: string): void {
  const blob = new Blob([text], { type })
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
