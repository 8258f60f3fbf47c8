import { createRouter, createWebHistory, type RouteRecordRaw } from 'vue-router'
import { useSyncStore } from './stores/sync'
import TodayView from './views/TodayView.vue'

/** Today is in the first bundle; every other screen loads when first opened (and is precached). */
export const routes: RouteRecordRaw[] = [
  { path: '/', name: 'today', component: TodayView },
  { path: '/mentees', name: 'mentees', component: () => import('./views/MenteeListView.vue') },
  { path: '/mentees/new', name: 'mentee-new', component: () => import('./views/MenteeEditView.vue') },
  { path: '/mentees/:id', name: 'mentee', component: () => import('./views/MenteeView.vue'), props: true },
  { path: '/mentees/:id/edit', name: 'mentee-edit', component: () => import('./views/MenteeEditView.vue'), props: true },
  {
    path: '/mentees/:menteeId/appointments/new',
    name: 'appointment-new',
    component: () => import('./views/AppointmentEditView.vue'),
    props: true,
  },
  { path: '/appointments/:id', name: 'appointment', component: () => import('./views/AppointmentView.vue'), props: true },
  {
    path: '/appointments/:id/edit',
    name: 'appointment-edit',
    component: () => import('./views/AppointmentEditView.vue'),
    props: true,
  },
  { path: '/settings', name: 'settings', component: () => import('./views/SettingsView.vue') },
  { path: '/sync', name: 'sync', component: () => import('./views/SyncView.vue') },
  { path: '/login', name: 'login', component: () => import('./views/LoginView.vue'), meta: { public: true } },
  { path: '/:pathMatch(.*)*', name: 'not-found', component: () => import('./views/NotFoundView.vue') },
]

export function createAppRouter() {
  const router = createRouter({
    history: createWebHistory(),
    routes,
    scrollBehavior: (_to, _from, saved) => saved ?? { top: 0 },
  })
  // Signing in needs the network once; after that the stored session opens the app offline.
  router.beforeEach((to) => {
    if (to.meta.public || useSyncStore().session) return true
    return { name: 'login', query: to.fullPath === '/' ? {} : { next: to.fullPath } }
  })
  return router
}
