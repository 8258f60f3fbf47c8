import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { mount, type VueWrapper } from '@vue/test-utils'
import MenteeRecordView from '@/views/MenteeRecordView.vue'
import { createAppointment } from '@/db/repositories/appointments'
import { saveNote } from '@/db/repositories/notes'
import { i18n } from '@/i18n'
import { TABLE_FIELDS } from '@/shared/protocol'
import { useMenteesStore } from '@/stores/mentees'
import { createTestRouter, eventually, menteeFields, setupComponentTest, type TestContext } from './helpers'

let ctx: TestContext
let wrapper: VueWrapper | undefined

beforeEach(async () => {
  ctx = await setupComponentTest()
})
afterEach(() => wrapper?.unmount())

describe('MenteeRecordView (access under Art. 15)', () => {
  it('lists every field, note, appointment and checklist item, named in German and in the person’s language, right to left for Arabic', async () => {
    const mentee = await useMenteesStore().create(
      menteeFields({ givenName: 'Testperson', familyName: 'Auskunft', languages: ['ar'], stage: 'accompanied', phone: '+49 000 1234' }),
    )
    await saveNote(undefined, { menteeId: mentee.id, date: '2026-01-05', kind: 'talk', text: 'Zeile eins\nZeile zwei', topics: [], followUpText: '', followUpDue: '', followUpDone: false })
    await createAppointment({ menteeId: mentee.id, startsAt: '2026-02-01T09:00', place: 'Jobcenter', type: 'jobcenter', companion: '', outcome: '' })
    const router = createTestRouter()
    await router.push(`/mentees/${mentee.id}/record`)
    wrapper = mount(MenteeRecordView, { props: { id: mentee.id }, global: { plugins: [ctx.pinia, i18n, router] } })

    const profile = await eventually(() => wrapper!.get('[data-testid="record-profile"]'), 10_000)
    expect(profile.findAll('tr').map((row) => row.attributes('data-field'))).toEqual([...TABLE_FIELDS.mentees])
    const stage = profile.get('tr[data-field="stage"]')
    expect(stage.get('th').text()).toContain('Phase')
    const arabic = stage.findAll('[lang="ar"]')
    expect(arabic.length).toBe(2)
    for (const part of arabic) expect(part.attributes('dir')).toBe('rtl')
    expect(profile.get('tr[data-field="phone"] td').text()).toBe('+49 000 1234')

    const notes = wrapper.findAll('[data-testid="record-note"]')
    expect(notes).toHaveLength(1)
    expect(notes[0]!.text()).toContain('Zeile eins\nZeile zwei')
    const appointments = wrapper.findAll('[data-testid="record-appointment"]')
    expect(appointments).toHaveLength(1)
    expect(appointments[0]!.text()).toContain('Jobcenter')
    expect(appointments[0]!.findAll('li').length).toBeGreaterThan(0)
  })
})
