// The channel types vigil knows: one line each. Each type's module (and its
// library: nodemailer, @slack/webhook) loads on the first send, so a run that
// sends nothing does not pay for importing them.

import { errorMessage } from '../../util/errors.js';
import { ChannelRegistry, type Channel, type ChannelFactory } from './channel.js';

function onFirstSend(load: () => Promise<ChannelFactory>): ChannelFactory {
  return (def, opts) => {
    let inner: Promise<Channel> | undefined;
    return {
      name: def.name,
      type: def.type,
      async send(message, sendOpts) {
        let channel: Channel;
        try {
          channel = await (inner ??= load().then((factory) => factory(def, opts)));
        } catch (err) {
          return { ok: false, retryable: false, error: `cannot set up channel ${def.name}: ${errorMessage(err)}` };
        }
        return channel.send(message, sendOpts);
      },
      async close() {
        if (inner) await (await inner.catch(() => null))?.close();
      },
    };
  };
}

export function defaultChannelTypes(): ChannelRegistry {
  return new ChannelRegistry()
    .register('slack', onFirstSend(async () => (await import('./slack.js')).slackChannel))
    .register('email', onFirstSend(async () => (await import('./email.js')).emailChannel))
    .register('file', onFirstSend(async () => (await import('./file.js')).fileChannel))
    .register('pagerduty', onFirstSend(async () => (await import('./pagerduty.js')).pagerdutyChannel))
    .register('webhook', onFirstSend(async () => (await import('./webhook.js')).webhookChannel));
}
