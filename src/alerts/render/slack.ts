// A message as Slack Block Kit JSON: a header (status emoji, dataset,
// summary), one section per check (observed vs threshold, a Runbook button),
// owner/tags/first seen, downstream datasets at risk and a Dashboard link.
// Slack's limits are kept: ≤ 50 blocks, header ≤ 150 chars, section ≤ 3000.

import { eventText, headerText, observedVsThreshold, rootCauseLine, runbookOf, safeUrl, silencedLine, subjectLine, type AlertMessage } from '../message.js';

export const SLACK_LIMITS = { blocks: 50, header: 150, section: 3000, buttonUrl: 3000 } as const;

export type SlackBlock = Record<string, unknown>;
export interface SlackPayload {
  text: string;
  blocks: SlackBlock[];
}

/** Slack's mrkdwn needs &, < and > escaped; everything else is shown as written. */
export function slackEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function truncate(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

const mrkdwn = (text: string) => ({ type: 'mrkdwn', text: truncate(text, SLACK_LIMITS.section) });

function button(text: string, url: string): SlackBlock | null {
  return url.length <= SLACK_LIMITS.buttonUrl ? { type: 'button', text: { type: 'plain_text', text }, url } : null;
}

export function renderSlack(m: AlertMessage): SlackPayload {
  const blocks: SlackBlock[] = [];
  blocks.push({ type: 'header', text: { type: 'plain_text', text: truncate(headerText(m), SLACK_LIMITS.header), emoji: true } });

  const firstSeen = m.items.map((i) => i.openedAt).sort()[0];
  const facts = [
    m.owner || m.items[0]?.owner ? `*Owner:* ${slackEscape(m.owner ?? m.items[0]?.owner ?? '')}` : null,
    m.tags.length ? `*Tags:* ${slackEscape(m.tags.join(', '))}` : null,
    firstSeen ? `*First seen:* ${firstSeen}` : null,
  ].filter((x): x is string => x !== null);
  if (facts.length) blocks.push({ type: 'context', elements: [mrkdwn(facts.join('  ·  '))] });
  const root = rootCauseLine(m);
  if (root) blocks.push({ type: 'section', text: mrkdwn(`*Root cause:* ${slackEscape(root)}`) });
  const muted = silencedLine(m);
  if (muted) blocks.push({ type: 'context', elements: [mrkdwn(slackEscape(muted).slice(0, SLACK_LIMITS.section))] });

  // Blocks after the checks: at risk, actions, and maybe the "… and N more" line.
  const tail: SlackBlock[] = [];
  if (m.atRisk.length) {
    tail.push({ type: 'section', text: mrkdwn(`*Downstream at risk:* ${slackEscape(m.atRisk.join(', '))}`) });
  }
  const dash = safeUrl(m.dashboardUrl);
  const dsRunbook = safeUrl(m.runbook);
  const actions = [dash ? button('Dashboard', dash) : null, dsRunbook ? button('Dataset runbook', dsRunbook) : null].filter((b): b is SlackBlock => b !== null);
  if (actions.length) tail.push({ type: 'actions', elements: actions });

  const room = SLACK_LIMITS.blocks - blocks.length - tail.length - 1; // one left for "… and N more"
  const shown = m.items.length <= room + 1 ? m.items : m.items.slice(0, room);
  for (const i of shown) {
    const lines = [
      `*${slackEscape(i.check)}* — ${slackEscape(eventText(i))}`,
      slackEscape(observedVsThreshold(i)),
      `_${slackEscape(i.message)}_`,
    ];
    if (i.owner && i.owner !== m.owner) lines.push(`Owner: ${slackEscape(i.owner)}`);
    const inc = safeUrl(i.incidentUrl);
    if (inc) lines.push(`<${inc.replace(/[|>]/g, encodeURIComponent)}|Incident page>`);
    const section: SlackBlock = { type: 'section', text: mrkdwn(lines.join('\n')) };
    const rb = runbookOf(m, i);
    const b = rb ? button('Runbook', rb) : null;
    if (b) section.accessory = b;
    blocks.push(section);
  }
  if (shown.length < m.items.length) {
    blocks.push({ type: 'section', text: mrkdwn(`… and ${m.items.length - shown.length} more (see the dashboard)`) });
  }
  blocks.push(...tail);
  return { text: subjectLine(m), blocks };
}
