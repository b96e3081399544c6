// A message as an email: a subject that scans in an inbox ("[FAIL] orders:
// 2 checks failing"), an HTML body with the Slack message's content (a
// runbook link per check) and a plain-text alternative. Text is escaped and
// only http(s) URLs become links.

import { eventText, observedVsThreshold, rootCauseLine, runbookOf, safeUrl, silencedLine, subjectLine, summaryText, type AlertMessage } from '../message.js';

export interface EmailContent {
  subject: string;
  html: string;
  text: string;
}

export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

const COLOR: Record<string, string> = { fail: '#c62828', error: '#6a1b9a', warn: '#b26a00', pass: '#2e7d32', resolved: '#2e7d32' };

export function renderEmail(m: AlertMessage): EmailContent {
  const subject = subjectLine(m).replace(/[\r\n]+/g, ' ');
  const firstSeen = m.items.map((i) => i.openedAt).sort()[0] ?? null;
  const owner = m.owner ?? m.items[0]?.owner ?? null;
  const dash = safeUrl(m.dashboardUrl);
  const dsRunbook = safeUrl(m.runbook);

  const text: string[] = [subject, ''];
  if (m.test) text.push('This is a test message from vigil alerts test: the channel works.', '');
  if (m.description) text.push(m.description, '');
  const root = rootCauseLine(m);
  if (root) text.push(`Root cause: ${root}`, '');
  const muted = silencedLine(m);
  if (muted) text.push(muted, '');
  for (const i of m.items) {
    const rb = runbookOf(m, i);
    text.push(`- ${i.check}: ${eventText(i)}`, `  ${observedVsThreshold(i)}`, `  ${i.message}`);
    if (rb) text.push(`  Runbook: ${rb}`);
    const inc = safeUrl(i.incidentUrl);
    if (inc) text.push(`  Incident: ${inc}`);
  }
  text.push('');
  if (owner) text.push(`Owner: ${owner}`);
  if (m.tags.length) text.push(`Tags: ${m.tags.join(', ')}`);
  if (firstSeen) text.push(`First seen: ${firstSeen}`);
  if (m.atRisk.length) text.push(`Downstream at risk: ${m.atRisk.join(', ')}`);
  if (dash) text.push(`Dashboard: ${dash}`);
  if (dsRunbook) text.push(`Dataset runbook: ${dsRunbook}`);

  const rows = m.items.map((i) => {
    const rb = runbookOf(m, i);
    const inc = safeUrl(i.incidentUrl);
    const color = COLOR[i.event === 'resolved' ? 'resolved' : i.status] ?? '#333';
    return `<tr><td style="padding:6px 12px 6px 0;vertical-align:top"><strong>${escapeHtml(i.check)}</strong><br>`
      + `<span style="color:${color};font-weight:bold">${escapeHtml(eventText(i))}</span></td>`
      + `<td style="padding:6px 12px 6px 0;vertical-align:top">${escapeHtml(observedVsThreshold(i))}<br><em>${escapeHtml(i.message)}</em></td>`
      + `<td style="padding:6px 0;vertical-align:top">${rb ? `<a href="${escapeHtml(rb)}">Runbook</a>` : ''}`
      + `${inc ? `${rb ? '<br>' : ''}<a href="${escapeHtml(inc)}">Incident</a>` : ''}</td></tr>`;
  }).join('\n');
  const facts = [
    owner ? `<li>Owner: ${escapeHtml(owner)}</li>` : '',
    m.tags.length ? `<li>Tags: ${escapeHtml(m.tags.join(', '))}</li>` : '',
    firstSeen ? `<li>First seen: ${escapeHtml(firstSeen)}</li>` : '',
    m.atRisk.length ? `<li>Downstream at risk: ${escapeHtml(m.atRisk.join(', '))}</li>` : '',
  ].join('');
  const links = [
    dash ? `<a href="${escapeHtml(dash)}">Dashboard</a>` : '',
    dsRunbook ? `<a href="${escapeHtml(dsRunbook)}">Dataset runbook</a>` : '',
  ].filter(Boolean).join(' · ');
  const html = `<!doctype html><html><body style="font-family:sans-serif;font-size:14px">
<h2 style="margin:0 0 8px">${escapeHtml(m.dataset)}: ${escapeHtml(summaryText(m))}</h2>
${m.test ? '<p><strong>This is a test message from vigil alerts test: the channel works.</strong></p>' : ''}
${m.description ? `<p>${escapeHtml(m.description)}</p>` : ''}
${root ? `<p><strong>Root cause:</strong> ${escapeHtml(root)}</p>` : ''}
${muted ? `<p style="color:#666">${escapeHtml(muted)}</p>` : ''}
<table style="border-collapse:collapse">
${rows}
</table>
<ul>${facts}</ul>
${links ? `<p>${links}</p>` : ''}
</body></html>
`;
  return { subject, html, text: `${text.join('\n')}\n` };
}
