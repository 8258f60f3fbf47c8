import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { mount, type VueWrapper } from '@vue/test-utils'
import ReminderSettings from '@/components/reminders/ReminderSettings.vue'
import { readNotifyWhileOpen } from '@/db/repositories/reminders'
import { i18n } from '@/i18n'
import { useRemindersStore } from '@/stores/reminders'
import { eventually, setupComponentTest, type TestContext } from './helpers'

let ctx: TestContext
let wrapper: VueWrapper | undefined

/** A stand-in for the browser's Notification: the permission it holds and how the prompt answers. */
function fakeNotifications(permission: NotificationPermission, answer: NotificationPermission | 'callbackOnly' = permission) {
  const requestPermission = vi.fn((callback?: (result: NotificationPermission) => void) => {
    if (answer === 'callbackOnly') {
      Fake.permission = 'granted'
      callback?.('granted')
      return undefined
    }
    Fake.permission = answer
    return Promise.resolve(answer)
  })
  class Fake {
    static permission: NotificationPermission = permission
    static requestPermission = requestPermission
  }
  vi.stubGlobal('Notification', Fake)
  return { requestPermission }
}

async function mountSettings(): Promise<VueWrapper> {
  wrapper = mount(ReminderSettings, { global: { plugins: [ctx.pinia, i18n] }, attachTo: document.body })
  await eventually(() => expect(wrapper?.find('[data-testid="notify-while-open"]').exists()).toBe(true))
  return wrapper
}

function checkbox(): HTMLInputElement {
  return wrapper!.get<HTMLInputElement>('[data-testid="notify-while-open"]').element
}

beforeEach(async () => {
  ctx = await setupComponentTest()
})

afterEach(() => {
  wrapper?.unmount()
  wrapper = undefined
  vi.unstubAllGlobals()
})

describe('the notification setting', () => {
  it('is off by default and asks for permission only when the user taps it', async () => {
    const { requestPermission } = fakeNotifications('default', 'granted')
    await mountSettings()
    expect(checkbox().checked).toBe(false)
    expect(requestPermission).not.toHaveBeenCalled()

    await wrapper!.get('[data-testid="notify-while-open"]').setValue(true)
    await eventually(async () => expect(await readNotifyWhileOpen()).toBe(true))
    expect(requestPermission).toHaveBeenCalledTimes(1)
    expect(useRemindersStore().notifyWhileOpen).toBe(true)
    expect(wrapper!.find('[data-testid="notify-problem"]').exists()).toBe(false)

    await wrapper!.get('[data-testid="notify-while-open"]').setValue(false)
    await eventually(async () => expect(await readNotifyWhileOpen()).toBe(false))
    expect(requestPermission).toHaveBeenCalledTimes(1)
  })

  it('says clearly when the browser blocks notifications, stays off and throws nothing', async () => {
    const errors: unknown[] = []
    fakeNotifications('default', 'denied')
    wrapper = mount(ReminderSettings, {
      global: { plugins: [ctx.pinia, i18n], config: { errorHandler: (error) => void errors.push(error) } },
      attachTo: document.body,
    })
    await wrapper.get('[data-testid="notify-while-open"]').setValue(true)
    await eventually(() =>
      expect(wrapper!.get('[data-testid="notify-problem"]').text()).toBe(
        'Benachrichtigungen sind für Lotse in diesem Browser blockiert. Erlauben Sie sie in den Website-Einstellungen des Browsers und schalten Sie sie dann hier ein.',
      ),
    )
    expect(checkbox().checked).toBe(false)
    expect(await readNotifyWhileOpen()).toBe(false)
    expect(errors).toEqual([])
  })

  it('tells a dismissed prompt apart from a block', async () => {
    fakeNotifications('default', 'default')
    await mountSettings()
    await wrapper!.get('[data-testid="notify-while-open"]').setValue(true)
    await eventually(() => expect(wrapper!.get('[data-testid="notify-problem"]').text()).toBe('Der Browser hat keine Erlaubnis erteilt, die Benachrichtigungen bleiben aus.'))
    expect(checkbox().checked).toBe(false)
  })

  it('works with the old callback-only permission prompt (Safari before 15)', async () => {
    fakeNotifications('default', 'callbackOnly')
    await mountSettings()
    await wrapper!.get('[data-testid="notify-while-open"]').setValue(true)
    await eventually(async () => expect(await readNotifyWhileOpen()).toBe(true))
  })

  it('explains where notifications do not exist (iPhone outside the home screen, old browsers)', async () => {
    vi.stubGlobal('Notification', undefined)
    await mountSettings()
    expect(checkbox().disabled).toBe(true)
    expect(wrapper!.get('[data-testid="notify-problem"]').text()).toContain('Dieser Browser kann keine Benachrichtigungen anzeigen.')
  })

  it('shows a setting that was switched on and since blocked in the browser as blocked', async () => {
    await useRemindersStore().setNotifyWhileOpen(true)
    fakeNotifications('denied')
    await mountSettings()
    await eventually(() => expect(wrapper!.find('[data-testid="notify-problem"]').exists()).toBe(true))
    expect(checkbox().checked).toBe(true)
  })
})
