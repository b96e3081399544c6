// The channel types vigil knows: one line each.

import { ChannelRegistry } from './channel.js';
import { emailChannel } from './email.js';
import { fileChannel } from './file.js';
import { slackChannel } from './slack.js';

export function defaultChannelTypes(): ChannelRegistry {
  return new ChannelRegistry()
    .register('slack', slackChannel)
    .register('email', emailChannel)
    .register('file', fileChannel);
}
