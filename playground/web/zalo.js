// The Zalo columns: followers of the fake Zalo OA, with Zalo's look and
// limits. What the OA sent is plain text (Zalo has no bold), with at most
// 5 template buttons, one per row; the share-phone card asks for the
// phone; a longer menu comes as a numbered list, answered by typing its
// number. app.js hands over each snapshot (api/state's "zalo" and the
// stream's "zalo" event) as a "playground-zalo" DOM event. Everything is
// put on the page with textContent, never as HTML.
(() => {
  'use strict';
  const root = document.getElementById('zalo-columns');
  const addBtn = document.querySelector('[data-testid="new-zalo"]');
  const cols = new Map(); // user id -> column view
  let limits = { max_text: 2000, max_buttons: 5 };

  function el(tag, attrs, ...kids) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'text') e.textContent = v;
      else if (k === 'class') e.className = v;
      else if (k === 'testid') e.setAttribute('data-testid', v);
      else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v === true ? '' : v);
    }
    for (const k of kids) e.append(k);
    return e;
  }

  async function api(name, body) {
    const r = await fetch('api/' + name, {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body),
    });
    const d = await r.json().catch(() => ({ ok: false, error: 'HTTP ' + r.status }));
    if (!d.ok) {
      const t = document.querySelector('[data-testid="toast"]');
      if (t) { t.textContent = 'Zalo: ' + d.error; t.hidden = false; setTimeout(() => { t.hidden = true; }, 4000); }
      throw new Error(d.error);
    }
    return d;
  }

  // A numbered menu: lines "1. …", "2) …" and no buttons to press.
  function numbered(m) {
    return m && m.from_oa && !(m.buttons || []).length && /(^|\n)\s*1[.)]\s/.test(m.text || '') && /(^|\n)\s*2[.)]\s/.test(m.text || '');
  }

  function build(u) {
    const id = u.id;
    const c = { id };
    c.name = el('div', { class: 'name' });
    c.sub = el('div', { class: 'sub' });
    c.follow = el('button', { type: 'button', class: 'zhead-btn', testid: 'zalo-follow-' + id,
      onclick: () => api('zalo-block', { user_id: id, blocked: c.following }).catch(() => {}) });
    const head = el('header', { class: 'zhead' },
      el('div', { class: 'zlogo', text: 'Zalo' }),
      el('div', { class: 'who' }, c.name, c.sub), c.follow,
      el('button', { type: 'button', class: 'zhead-btn', 'aria-label': 'close this column', title: 'Close this column', testid: 'zalo-hide-' + id, text: '×',
        onclick: () => api('zalo-hide', { user_id: id }).catch(() => {}) }));
    c.msgs = el('div', { class: 'zmsgs', testid: 'zalo-messages-' + id });
    c.hint = el('div', { class: 'zhint', testid: 'zalo-hint-' + id, hidden: true, text: 'Gõ số để chọn · type the number of your choice' });
    c.input = el('textarea', { rows: '1', maxlength: String(limits.max_text), placeholder: 'Nhập tin nhắn', testid: 'zalo-input-' + id, 'aria-label': 'message' });
    c.count = el('span', { class: 'zcount', testid: 'zalo-count-' + id });
    const send = () => {
      const text = c.input.value;
      if (!text.trim()) return;
      api('zalo-send', { user_id: id, text }).then(() => { c.input.value = ''; count(); }).catch(() => {});
    };
    const count = () => {
      const n = [...c.input.value].length;
      c.count.textContent = n > limits.max_text - 200 ? n + '/' + limits.max_text : '';
    };
    c.input.addEventListener('input', count);
    c.input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); send(); }
    });
    const bar = el('div', { class: 'zcompose' }, c.input, c.count,
      el('button', { type: 'button', class: 'zsend', testid: 'zalo-send-' + id, 'aria-label': 'send', onclick: send }, 'Gửi'));
    c.el = el('section', { class: 'zcol', testid: 'zalo-chat-' + id, 'data-user': id }, head, c.msgs, c.hint, bar);
    return c;
  }

  function time(ms) {
    const d = new Date(ms);
    return String(d.getHours()).padStart(2, '0') + ':' + String(d.getMinutes()).padStart(2, '0');
  }

  function renderOA(c, m) {
    const box = el('div', { class: 'zbubble' });
    if (m.kind === 'zns') {
      box.classList.add('zns');
      box.append(el('div', { class: 'ztag', text: 'ZNS · ' + (m.template_id || '') }));
      for (const [k, v] of Object.entries(m.data || {})) box.append(el('div', { class: 'zdata', text: k + ': ' + v }));
    }
    if (m.text) box.append(el('div', { class: 'ztext', text: m.text }));
    if (m.ask_info) {
      const phone = el('input', { type: 'tel', value: '0912 345 678', testid: 'zalo-phone-' + c.id, 'aria-label': 'phone number to share' });
      box.append(el('div', { class: 'zinfo', testid: 'zalo-info-' + c.id },
        el('div', { class: 'zinfo-title', text: m.info_title || 'Chia sẻ thông tin' }),
        el('div', { class: 'zinfo-sub', text: 'Tên, số điện thoại · name, phone' }),
        phone,
        el('button', { type: 'button', class: 'zbtn', testid: 'zalo-share-' + c.id,
          onclick: () => api('zalo-contact', { user_id: c.id, phone: phone.value }).catch(() => {}) }, 'Chia sẻ')));
    }
    const buttons = (m.buttons || []).slice(0, limits.max_buttons);
    if (buttons.length) {
      const list = el('div', { class: 'zbtns' });
      for (const b of buttons) {
        const query = b.type === 'oa.query.hide' || b.type === 'oa.query.show';
        list.append(el('button', { type: 'button', class: 'zbtn', testid: 'zbtn-' + b.title, disabled: !query, title: query ? '' : b.type,
          onclick: () => api('zalo-press', { user_id: c.id, n: m.n, payload: b.payload }).catch(() => {}) }, b.title));
      }
      box.append(list);
    }
    box.append(el('div', { class: 'ztime', text: time(m.date) }));
    return el('div', { class: 'zrow oa', testid: 'zmsg-' + c.id + '-' + m.n, 'data-kind': m.kind }, box);
  }

  function renderMine(c, m) {
    const what = { press: m.text, contact: '📱 +' + m.text, media: '📎 ' + m.text }[m.kind] || m.text;
    return el('div', { class: 'zrow me', 'data-kind': m.kind },
      el('div', { class: 'zbubble' }, el('div', { class: 'ztext', text: what }), el('div', { class: 'ztime', text: time(m.date) })));
  }

  function render(c, u, msgs) {
    c.following = u.following;
    c.name.textContent = u.name;
    c.sub.textContent = (u.following ? 'Zalo OA follower' : 'unfollowed the OA') + ' · id ' + u.id;
    c.follow.textContent = u.following ? 'Bỏ quan tâm' : 'Quan tâm';
    c.follow.title = u.following ? 'Unfollow the OA' : 'Follow the OA again';
    const stick = c.msgs.scrollHeight - c.msgs.scrollTop - c.msgs.clientHeight < 60;
    c.msgs.replaceChildren(...msgs.map((m) => (m.from_oa ? renderOA(c, m) : renderMine(c, m))));
    if (!msgs.length) c.msgs.append(el('div', { class: 'zempty', text: 'Đã quan tâm OA. Gõ /start hoặc “xin chào”.' }));
    const oa = msgs.filter((m) => m.from_oa);
    c.hint.hidden = !numbered(oa[oa.length - 1]);
    if (stick) c.msgs.scrollTop = c.msgs.scrollHeight;
  }

  function apply(z) {
    if (!z) return;
    limits = { max_text: z.max_text, max_buttons: z.max_buttons };
    addBtn.hidden = false;
    const want = new Set(z.users.map((u) => u.id));
    for (const [id, c] of cols) if (!want.has(id)) { c.el.remove(); cols.delete(id); }
    for (const u of z.users) {
      let c = cols.get(u.id);
      if (!c) { c = build(u); cols.set(u.id, c); root.append(c.el); }
      render(c, u, z.chats[String(u.id)] || []);
    }
    root.hidden = cols.size === 0;
  }

  document.addEventListener('playground-zalo', (e) => apply(e.detail));
  addBtn.addEventListener('click', () => {
    api('zalo-users', {}).then((d) => {
      const c = cols.get(d.user.id);
      if (c) c.input.focus({ preventScroll: true });
    }).catch(() => {});
  });
})();
