// The staff desk column: the desk in the browser (DESK_ADDR), where a
// counsellor works without Telegram, shown in a frame (the demo lets the
// playground frame it; a real desk is never framed), with the demo
// counsellor's sign-in details and the code of the moment (it changes
// every 30 seconds, on the bot's clock). A link opens it in a window of
// its own too. Text only, never HTML.
(() => {
  'use strict';
  const col = document.getElementById('desk');
  if (!col) return;

  function el(tag, attrs, ...kids) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === 'text') e.textContent = v;
      else if (k === 'class') e.className = v;
      else if (k === 'testid') e.setAttribute('data-testid', v);
      else e.setAttribute(k, v);
    }
    for (const k of kids) e.append(k);
    return e;
  }

  async function details() {
    const r = await fetch('api/desk', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' });
    const d = await r.json().catch(() => ({ ok: false }));
    return d.ok ? d : null;
  }

  details().then((d) => {
    if (!d) return;
    const code = el('code', { testid: 'desk-code', text: d.code || '—' });
    const open = el('a', {
      href: d.url + '/signin', target: 'reentrybot-desk', rel: 'noopener', class: 'desk-open', testid: 'desk-link',
      text: 'Mở trong cửa sổ riêng ↗',
    });
    const row = (label, value, id) => el('div', { class: 'desk-row' },
      el('span', { class: 'muted', text: label }), el('code', { testid: id, text: value }));
    col.append(
      el('header', { class: 'chat-head' }, el('div', { class: 'who' },
        el('div', { class: 'name', text: 'Bàn làm việc web' }),
        el('div', { class: 'sub', text: 'staff desk · no Telegram' }))),
      el('div', { class: 'desk-body' },
        el('p', { text: (d.name || 'Tư vấn viên') + ' làm việc trên trình duyệt: hàng chờ, nhận, trả lời và đóng yêu cầu. Câu trả lời đến người dùng trên kênh của họ.' }),
        open,
        row('Tên đăng nhập', d.login, 'desk-login'),
        row('Mật khẩu', d.password, 'desk-password'),
        el('div', { class: 'desk-row' }, el('span', { class: 'muted', text: 'Mã xác thực' }), code)),
      el('iframe', { class: 'desk-frame', src: d.url + '/', title: 'Bàn làm việc web', testid: 'desk-frame' }));
    col.hidden = false;
    setInterval(() => {
      details().then((n) => { if (n && n.code) code.textContent = n.code; }).catch(() => {});
    }, 5000);
  }).catch(() => {});
})();
