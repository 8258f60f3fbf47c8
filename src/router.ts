import { createRouter, createWebHistory, type RouteRecordRaw } from 'vue-router'
import { CONFERENCE_ROLES } from './shared/conference'
import { MENTEE_ROLES, REPORT_ROLES, type Role } from './shared/protocol'
import { seesFairs } from './stores/fairs'
import { useHandoverStore, type HandoverMode } from './stores/handover'
import { useLockStore } from './stores/lock'
import { useSyncStore } from './stores/sync'
import TodayView from './views/TodayView.vue'

declare module 'vue-router' {
  interface RouteMeta {
    /** Only these roles may open the screen; others are sent to Today. */
    roles?: readonly Role[]
  }
}

/** Today is in the first bundle; every other screen loads when first opened (and is precached). */
export const routes: RouteRecordRaw[] = [
  { path: '/', name: 'today', component: TodayView },
  { path: '/mentees', name: 'mentees', component: () => import('./views/MenteeListView.vue'), meta: { roles: MENTEE_ROLES } },
  { path: '/mentees/new', name: 'mentee-new', component: () => import('./views/MenteeEditView.vue'), meta: { roles: MENTEE_ROLES } },
  { path: '/mentees/:id', name: 'mentee', component: () => import('./views/MenteeView.vue'), props: true, meta: { roles: MENTEE_ROLES } },
  { path: '/mentees/:id/edit', name: 'mentee-edit', component: () => import('./views/MenteeEditView.vue'), props: true, meta: { roles: MENTEE_ROLES } },
  { path: '/mentees/:id/record', name: 'mentee-record', component: () => import('./views/MenteeRecordView.vue'), props: true, meta: { roles: MENTEE_ROLES } },
  {
    path: '/mentees/:menteeId/appointments/new',
    name: 'appointment-new',
    meta: { roles: MENTEE_ROLES },
    component: () => import('./views/AppointmentEditView.vue'),
    props: true,
  },
  { path: '/appointments/:id', name: 'appointment', component: () => import('./views/AppointmentView.vue'), props: true, meta: { roles: MENTEE_ROLES } },
  {
    path: '/appointments/:id/handout',
    name: 'appointment-handout',
    meta: { roles: MENTEE_ROLES },
    component: () => import('./views/AppointmentHandoutView.vue'),
    props: true,
  },
  {
    path: '/appointments/:id/edit',
    name: 'appointment-edit',
    meta: { roles: MENTEE_ROLES },
    component: () => import('./views/AppointmentEditView.vue'),
    props: true,
  },
  { path: '/conference', name: 'conference', component: () => import('./views/ConferenceView.vue'), meta: { roles: CONFERENCE_ROLES } },
  {
    path: '/conference/:menteeId',
    name: 'conference-case',
    component: () => import('./views/ConferenceCaseView.vue'),
    props: true,
    meta: { roles: CONFERENCE_ROLES },
  },
  { path: '/events', name: 'events', component: () => import('./views/EventListView.vue'), meta: { fairs: true } },
  { path: '/events/new', name: 'event-new', component: () => import('./views/EventEditView.vue'), meta: { fairs: true } },
  { path: '/events/:id', name: 'event', component: () => import('./views/EventView.vue'), props: true, meta: { fairs: true } },
  { path: '/events/:id/edit', name: 'event-edit', component: () => import('./views/EventEditView.vue'), props: true, meta: { fairs: true } },
  { path: '/events/:id/intake', name: 'fair-intake', component: () => import('./views/FairIntakeView.vue'), props: true, meta: { fairs: true } },
  {
    path: '/events/:id/handover',
    name: 'fair-handover',
    component: () => import('./views/FairHandoverView.vue'),
    props: (route) => ({ id: route.params.id, lang: route.query.lang }),
    meta: { fairs: true },
  },
  { path: '/settings', name: 'settings', component: () => import('./views/SettingsView.vue') },
  { path: '/sync', name: 'sync', component: () => import('./views/SyncView.vue') },
  // Figures for funders: coaches and coordinators only (Paten and guides have no such figures).
  { path: '/reports', name: 'reports', component: () => import('./views/ReportsView.vue'), meta: { roles: REPORT_ROLES } },
  { path: '/login', name: 'login', component: () => import('./views/LoginView.vue'), meta: { public: true } },
  { path: '/unlock', name: 'unlock', component: () => import('./views/UnlockView.vue'), meta: { lockScreen: true } },
  { path: '/passphrase', name: 'passphrase', component: () => import('./views/PassphraseSetupView.vue'), meta: { lockScreen: true } },
  { path: '/:pathMatch(.*)*', name: 'not-found', component: () => import('./views/NotFoundView.vue') },
]

/** Where a handed-over phone has to be. */
export function handoverLocation(mode: HandoverMode) {
  return { name: 'fair-handover', params: { id: mode.eventId }, query: { lang: mode.language } }
}

export function createAppRouter() {
  const router = createRouter({
    history: createWebHistory(),
    routes,
    scrollBehavior: (_to, _from, saved) => saved ?? { top: 0 },
  })
  // Signing in needs the network once; after that the stored session opens the app offline,
  // behind the device passphrase that guards its data.
  router.beforeEach(async (to) => {
    const handover = useHandoverStore()
    await handover.ensureLoaded()
    const lock = useLockStore().state
    const session = useSyncStore().session
    const next = to.fullPath === '/' || to.meta.lockScreen || to.meta.public ? {} : { next: to.fullPath }
    if (lock === 'locked') {
      if (to.name === 'unlock') return true
      // Locked while a visitor held the phone: after unlocking, back to their form, nowhere else.
      return { name: 'unlock', query: handover.mode ? { next: router.resolve(handoverLocation(handover.mode)).fullPath } : next }
    }
    // Handed over to a visitor: their form is the only page, whatever URL is typed or popped.
    if (handover.mode && session && lock === 'unlocked') {
      const mode = handover.mode
      if (to.name === 'fair-handover' && to.params.id === mode.eventId && to.query.lang === mode.language) return true
      return handoverLocation(mode)
    }
    if (to.meta.public) return true
    if (!session) return { name: 'login', query: next }
    // Signed in, but no passphrase yet: choose one before anything personal is stored.
    if (lock === 'noKey') return to.name === 'passphrase' ? true : { name: 'passphrase', query: next }
    if (to.meta.lockScreen) return typeof to.query.next === 'string' && to.query.next.startsWith('/') ? to.query.next : { name: 'today' }
    const role = session.user.role
    if (to.meta.roles && !to.meta.roles.includes(role)) return { name: 'today' }
    if (to.meta.fairs && !seesFairs(session.user.role)) return { name: 'today' }
    // The hand-over page exists only while handed over (started from the quick intake).
    if (to.name === 'fair-handover') return { name: 'fair-intake', params: { id: to.params.id } }
    return true
  })
  return router
}
