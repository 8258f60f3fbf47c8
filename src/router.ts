import { createRouter, createWebHistory, type RouteRecordRaw } from 'vue-router'
import { CONFERENCE_ROLES } from './shared/conference'
import { REPORT_ROLES, type Role } from './shared/protocol'
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
  { path: '/mentees', name: 'mentees', component: () => import('./views/MenteeListView.vue') },
  { path: '/mentees/new', name: 'mentee-new', component: () => import('./views/MenteeEditView.vue') },
  { path: '/mentees/:id', name: 'mentee', component: () => import('./views/MenteeView.vue'), props: true },
  { path: '/mentees/:id/edit', name: 'mentee-edit', component: () => import('./views/MenteeEditView.vue'), props: true },
  { path: '/mentees/:id/record', name: 'mentee-record', component: () => import('./views/MenteeRecordView.vue'), props: true },
  {
    path: '/mentees/:menteeId/appointments/new',
    name: 'appointment-new',
    component: () => import('./views/AppointmentEditView.vue'),
    props: true,
  },
  { path: '/appointments/:id', name: 'appointment', component: () => import('./views/AppointmentView.vue'), props: true },
  {
    path: '/appointments/:id/handout',
    name: 'appointment-handout',
    component: () => import('./views/AppointmentHandoutView.vue'),
    props: true,
  },
  {
    path: '/appointments/:id/edit',
    name: 'appointment-edit',
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
  { path: '/settings', name: 'settings', component: () => import('./views/SettingsView.vue') },
  { path: '/sync', name: 'sync', component: () => import('./views/SyncView.vue') },
  // Figures for funders: coaches and coordinators only (Paten and guides have no such figures).
  { path: '/reports', name: 'reports', component: () => import('./views/ReportsView.vue'), meta: { roles: REPORT_ROLES } },
  { path: '/login', name: 'login', component: () => import('./views/LoginView.vue'), meta: { public: true } },
  { path: '/unlock', name: 'unlock', component: () => import('./views/UnlockView.vue'), meta: { lockScreen: true } },
  { path: '/passphrase', name: 'passphrase', component: () => import('./views/PassphraseSetupView.vue'), meta: { lockScreen: true } },
  { path: '/:pathMatch(.*)*', name: 'not-found', component: () => import('./views/NotFoundView.vue') },
]

export function createAppRouter() {
  const router = createRouter({
    history: createWebHistory(),
    routes,
    scrollBehavior: (_to, _from, saved) => saved ?? { top: 0 },
  })
  // Signing in needs the network once; after that the stored session opens the app offline,
  // behind the device passphrase that guards its data.
  router.beforeEach((to) => {
    const lock = useLockStore().state
    const signedIn = Boolean(useSyncStore().session)
    const next = to.fullPath === '/' || to.meta.lockScreen || to.meta.public ? {} : { next: to.fullPath }
    if (lock === 'locked') return to.name === 'unlock' ? true : { name: 'unlock', query: next }
    if (to.meta.public) return true
    if (!signedIn) return { name: 'login', query: next }
    // Signed in, but no passphrase yet: choose one before anything personal is stored.
    if (lock === 'noKey') return to.name === 'passphrase' ? true : { name: 'passphrase', query: next }
    if (to.meta.lockScreen) return typeof to.query.next === 'string' && to.query.next.startsWith('/') ? to.query.next : { name: 'today' }
    const role = useSyncStore().session?.user.role
    if (to.meta.roles && !(role && to.meta.roles.includes(role))) return { name: 'today' }
    return true
  })
  return router
}
