import { createRouter, createWebHistory, type RouteRecordRaw } from 'vue-router'
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
  { path: '/:pathMatch(.*)*', name: 'not-found', component: () => import('./views/NotFoundView.vue') },
]

export function createAppRouter() {
  return createRouter({
    history: createWebHistory(),
    routes,
    scrollBehavior: (_to, _from, saved) => saved ?? { top: 0 },
  })
}
