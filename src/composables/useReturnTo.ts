import { useRoute, useRouter } from 'vue-router'

/**
 * Where a sign-in, unlock or passphrase screen sends the user afterwards: the in-app page they
 * were on (`?next=/…`), else Today. Only paths of this app, never another origin.
 */
export function useReturnTo() {
  const route = useRoute()
  const router = useRouter()
  return async function returnToPage(): Promise<void> {
    const next = route.query.next
    await router.replace(typeof next === 'string' && next.startsWith('/') && !next.startsWith('//') ? next : '/')
  }
}
