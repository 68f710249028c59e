// reentrybot playground: play several Telegram users side by side against
// the test Bot API server. Everything user-supplied is put on the page with
// textContent or DOM nodes, never as HTML.
'use strict';

(() => {
  const S = {
    bot: null,
    clock: false,
    users: [],            // from meta: returnees first, then personas
    group: null,          // {id, title, user_id, topics}
    chats: new Map(),     // chat id -> Map(message id -> message)
    cols: new Map(),      // user id -> column view
    dirty: new Set(),     // chat ids to re-render
    flushTimer: 0,
  };

  const $ = (sel, root = document) => root.querySelector(sel);

  function el(tag, attrs, ...kids) {
    const e = document.createElement(tag);
    if (attrs) {
      for (const [k, v] of Object.entries(attrs)) {
        if (v === undefined || v === null || v === false) continue;
        if (k === 'class') e.className = v;
        else if (k === 'text') e.textContent = v;
        else if (k === 'testid') e.dataset.testid = v;
        else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
        else e.setAttribute(k, v === true ? '' : String(v));
      }
    }
    for (const kid of kids) {
      if (kid === null || kid === undefined || kid === false) continue;
      e.append(kid instanceof Node ? kid : document.createTextNode(String(kid)));
    }
    return e;
  }

  // ---- API -------------------------------------------------------------

  async function api(name, body) {
    const opts = body === undefined ? {} : {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    };
    let res;
    try {
      res = await fetch('api/' + name, opts);
    } catch (err) {
      toast('Server unreachable: ' + err.message, true);
      throw err;
    }
    let data = null;
    try { data = await res.json(); } catch (_) { /* not JSON */ }
    if (!res.ok) {
      const msg = (data && data.error) || res.status + ' ' + res.statusText;
      toast(msg, true);
      throw new Error(msg);
    }
    return data;
  }

  let toastTimer = 0;
  function toast(text, isError) {
    const t = $('#toast');
    t.textContent = text;
    t.classList.toggle('error', !!isError);
    t.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { t.hidden = true; }, isError ? 5000 : 2500);
  }

  // ---- state -----------------------------------------------------------

  function chatMap(id) {
    let m = S.chats.get(id);
    if (!m) { m = new Map(); S.chats.set(id, m); }
    return m;
  }

  // upsert keeps the newest version of a message: edits only grow and a
  // deleted message stays deleted, so a late state fetch cannot undo an
  // event that overtook it.
  function upsert(msg) {
    const m = chatMap(msg.chat_id);
    const old = m.get(msg.id);
    if (old) {
      const o = old.edited || 0, n = msg.edited || 0;
      if (n < o || (n === o && (!!old.deleted >= !!msg.deleted))) return;
    }
    m.set(msg.id, msg);
    markDirty(msg.chat_id);
  }

  function sortedMessages(chatID) {
    const m = S.chats.get(chatID);
    if (!m) return [];
    return [...m.values()].sort((a, b) => a.id - b.id);
  }

  function markDirty(chatID) {
    S.dirty.add(chatID);
    if (!S.flushTimer) S.flushTimer = setTimeout(flush, 16);
  }

  function flush() {
    S.flushTimer = 0;
    const dirty = [...S.dirty];
    S.dirty.clear();
    for (const id of dirty) {
      const col = S.cols.get(id);
      if (col) renderPrivate(col);
      if (S.group && id === S.group.id) {
        for (const c of S.cols.values()) if (c.group) renderGroup(c);
      }
    }
  }

  async function refresh() {
    const st = await api('state');
    S.bot = st.bot;
    S.clock = st.clock;
    $('[data-testid="bot-name"]').textContent = '@' + st.bot.username + ' · Telegram test server';
    $('[data-testid="clock"]').hidden = !st.clock;
    for (const [id, msgs] of Object.entries(st.chats)) {
      chatMap(Number(id));
      for (const m of msgs) upsert(m);
    }
    applyMeta(st);
    for (const id of S.chats.keys()) markDirty(id);
    if (st.zalo) zalo(st.zalo);
  }

  function applyMeta(meta) {
    S.users = meta.users || [];
    S.group = meta.group || null;
    reconcileColumns();
  }

  // The Zalo columns are zalo.js's: hand it each snapshot.
  function zalo(z) { document.dispatchEvent(new CustomEvent('playground-zalo', { detail: z })); }

  function userByID(id) { return S.users.find((u) => u.id === id); }

  // ---- columns ---------------------------------------------------------

  const avatarColors = ['#e17076', '#7bc862', '#65aadd', '#a695e7', '#ee7aae', '#6ec9cb', '#faa774'];

  function reconcileColumns() {
    const root = $('#columns');
    const want = new Set(S.users.map((u) => u.id));
    for (const [id, col] of S.cols) {
      if (!want.has(id)) { col.el.remove(); S.cols.delete(id); }
    }
    let prev = null;
    for (const u of S.users) {
      let col = S.cols.get(u.id);
      if (!col) {
        col = buildColumn(u);
        S.cols.set(u.id, col);
        markDirty(u.id);
        if (col.group) markDirty(S.group.id);
      }
      updateHeader(col, u);
      const next = prev ? prev.nextSibling : root.firstChild;
      if (next !== col.el) root.insertBefore(col.el, next);
      prev = col.el;
    }
    for (const col of S.cols.values()) if (col.group) renderTopics(col);
    if (!S.users.length) {
      root.replaceChildren(el('div', { class: 'empty', text: 'No one here yet: press “+ new returnee”.' }));
    } else {
      const empty = $(':scope > .empty', root);
      if (empty) empty.remove();
    }
  }

  function buildColumn(u) {
    const id = u.id;
    const col = { id, nodes: new Map(), group: !!(u.group && S.group), tab: 'group', unread: 0 };
    col.avatar = el('div', { class: 'avatar' });
    col.avatar.style.background = avatarColors[id % avatarColors.length];
    col.name = el('div', { class: 'name' });
    col.sub = el('div', { class: 'sub' });
    col.badge = el('span', { class: 'badge blocked', text: 'blocked', hidden: true });
    const head = el('header', { class: 'chat-head' }, col.avatar,
      el('div', { class: 'who' }, el('div', { class: 'name-row' }, col.name, col.badge), col.sub));
    if (!u.persona) {
      head.append(el('button', {
        type: 'button', class: 'icon', 'aria-label': 'close this column', title: 'Close this column',
        testid: 'hide-' + id, text: '×',
        onclick: () => api('hide', { user_id: id }).then(() => {
          S.users = S.users.filter((x) => x.id !== id);
          reconcileColumns();
        }).catch(() => {}),
      }));
    }
    col.el = el('section', { class: 'column' + (u.persona ? ' persona' : '') + (col.group ? ' wide' : ''), testid: 'chat-' + id, 'data-user': id }, head);

    col.privatePane = buildPrivatePane(col, u);
    if (col.group) {
      col.groupPane = buildGroupPane(col);
      col.tabGroup = el('button', { type: 'button', class: 'tab', testid: 'tab-group-' + id, onclick: () => setTab(col, 'group') }, 'Staff group');
      col.tabPrivate = el('button', { type: 'button', class: 'tab', testid: 'tab-private-' + id, onclick: () => setTab(col, 'private') }, 'Private chat with the bot');
      col.el.append(el('nav', { class: 'tabs' }, col.tabGroup, col.tabPrivate), col.groupPane, col.privatePane);
      setTab(col, 'group');
    } else {
      col.el.append(col.privatePane);
    }
    return col;
  }

  function setTab(col, tab) {
    col.tab = tab;
    col.groupPane.hidden = tab !== 'group';
    col.privatePane.hidden = tab !== 'private';
    col.tabGroup.classList.toggle('active', tab === 'group');
    col.tabPrivate.classList.toggle('active', tab === 'private');
    if (tab === 'private') {
      col.unread = 0;
      scrollToEnd(col.msgs);
    } else {
      scrollToEnd(col.gmsgs);
    }
    updateUnread(col);
  }

  function updateUnread(col) {
    if (!col.tabPrivate) return;
    col.tabPrivate.textContent = 'Private chat with the bot';
    if (col.unread > 0) col.tabPrivate.append(el('span', { class: 'count', text: String(col.unread) }));
  }

  function updateHeader(col, u) {
    const name = (u.first_name + ' ' + (u.last_name || '')).trim();
    col.name.textContent = name;
    col.avatar.textContent = (name[0] || '?').toUpperCase();
    const parts = [u.persona ? (u.label || 'staff') : 'returnee'];
    if (u.lang) parts.push(u.lang);
    parts.push('id ' + u.id);
    col.sub.textContent = parts.join(' · ');
    col.badge.hidden = !u.blocked;
    col.blocked = !!u.blocked;
    col.blockBtn.textContent = u.blocked ? '✅ Unblock bot' : '⛔ Block bot';
    col.blockBtn.classList.toggle('danger', !u.blocked);
    col.blockedBanner.hidden = !u.blocked;
  }

  function buildPrivatePane(col, u) {
    const id = col.id;
    col.msgs = el('div', { class: 'messages', testid: 'messages-' + id });
    col.kb = el('div', { class: 'reply-kb', testid: 'keyboard-' + id, hidden: true });
    col.blockedBanner = el('div', { class: 'banner', hidden: true, text: 'You blocked the bot: it cannot write to you (403). Writing to it unblocks it.' });

    col.contactInput = el('input', { type: 'tel', value: '0912 345 678', testid: 'contact-input-' + id, 'aria-label': 'phone number to share' });
    const shareContact = () => {
      api('contact', { user_id: id, phone: col.contactInput.value }).then(() => { col.contactForm.hidden = true; }).catch(() => {});
    };
    col.contactInput.addEventListener('keydown', (e) => { if (e.key === 'Enter' && !e.isComposing) { e.preventDefault(); shareContact(); } });
    col.contactForm = el('div', { class: 'contact-form', hidden: true },
      el('span', { class: 'muted', text: 'Phone' }), col.contactInput,
      el('button', { type: 'button', class: 'primary', testid: 'contact-send-' + id, onclick: shareContact }, 'Share'),
      el('button', { type: 'button', class: 'icon', 'aria-label': 'cancel', text: '×', onclick: () => { col.contactForm.hidden = true; } }));

    col.input = el('input', { type: 'text', class: 'text', testid: 'input-' + id, placeholder: 'Message… (/start, /help…)', autocomplete: 'off', 'aria-label': 'message to the bot', enterkeyhint: 'send' });
    const send = () => {
      const text = col.input.value;
      if (!text.trim()) return;
      col.input.value = '';
      col.stick = true;
      api('send', { user_id: id, text }).catch(() => { if (!col.input.value) col.input.value = text; });
    };
    col.input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); send(); }
    });
    const composer = el('div', { class: 'composer' }, col.input,
      el('button', { type: 'button', class: 'send', testid: 'send-' + id, 'aria-label': 'send', title: 'Send (Enter)', onclick: send }, '➤'));

    const media = (kind, extra) => () => {
      col.stick = true;
      api('media', Object.assign({ user_id: id, kind }, extra ? extra() : {})).catch(() => {});
    };
    col.blockBtn = el('button', {
      type: 'button', class: 'tool danger', testid: 'block-' + id,
      onclick: () => api('block', { user_id: id, blocked: !col.blocked }).then((r) => {
        const usr = userByID(id);
        if (usr) { usr.blocked = r.blocked; updateHeader(col, usr); }
      }).catch(() => {}),
    }, '⛔ Block bot');
    const tools = el('div', { class: 'tools' },
      el('button', { type: 'button', class: 'tool', testid: 'sticker-' + id, onclick: media('sticker') }, '🙂 Sticker'),
      el('button', {
        type: 'button', class: 'tool', testid: 'photo-' + id, title: 'The text in the box becomes the caption',
        onclick: media('photo', () => { const c = col.input.value; col.input.value = ''; return { caption: c }; }),
      }, '🖼 Photo'),
      el('button', {
        type: 'button', class: 'tool', testid: 'document-' + id, title: 'The text in the box becomes the file name',
        onclick: media('document', () => { const n = col.input.value.trim(); col.input.value = ''; return { file_name: n }; }),
      }, '📄 File'),
      el('button', { type: 'button', class: 'tool', testid: 'location-' + id, onclick: media('location') }, '📍 Location'),
      el('button', { type: 'button', class: 'tool', testid: 'voice-' + id, onclick: media('voice') }, '🎤 Voice'),
      el('button', { type: 'button', class: 'tool', testid: 'contact-' + id, onclick: () => { col.contactForm.hidden = false; col.contactInput.focus(); } }, '☎ Contact'),
      col.blockBtn);

    return el('div', { class: 'pane' }, col.blockedBanner, col.msgs, col.kb, col.contactForm, composer, tools);
  }

  function buildGroupPane(col) {
    col.topics = el('div', { class: 'topics', testid: 'topics', role: 'list' });
    col.topicTitle = el('div', { class: 'topic-title', testid: 'topic-title' });
    col.gmsgs = el('div', { class: 'messages', testid: 'group-messages' });
    col.gnodes = new Map();
    col.topicID = null;
    col.topicSeen = new Map(); // thread id -> messages seen
    col.ginput = el('input', { type: 'text', class: 'text', testid: 'group-input', placeholder: 'Write in this topic as the counsellor…', autocomplete: 'off', 'aria-label': 'message into the topic' });
    const send = () => {
      const text = col.ginput.value;
      if (!text.trim() || col.topicID === null) return;
      col.ginput.value = '';
      col.gstick = true;
      api('send', { user_id: col.id, chat_id: S.group.id, thread_id: col.topicID, text }).catch(() => { if (!col.ginput.value) col.ginput.value = text; });
    };
    col.ginput.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); send(); }
    });
    col.gsend = el('button', { type: 'button', class: 'send', testid: 'group-send', 'aria-label': 'send into the topic', onclick: send }, '➤');
    return el('div', { class: 'pane group-pane' },
      el('div', { class: 'group-title', testid: 'group-title' }),
      col.topics, col.topicTitle, col.gmsgs,
      el('div', { class: 'composer' }, col.ginput, col.gsend));
  }

  // ---- group -----------------------------------------------------------

  function groupTopics() {
    if (!S.group) return [];
    const topics = S.group.topics.slice();
    if (sortedMessages(S.group.id).some((m) => !m.thread_id)) {
      topics.unshift({ thread_id: 0, name: 'General', closed: false, icon_color: 0 });
    }
    return topics;
  }

  function renderTopics(col) {
    if (!S.group) return;
    $('.group-title', col.groupPane).textContent = '👥 ' + S.group.title;
    const topics = groupTopics();
    if (col.topicID !== null && !topics.some((t) => t.thread_id === col.topicID)) col.topicID = null;
    if (col.topicID === null && topics.length) selectTopic(col, topics[topics.length - 1].thread_id, true);
    const counts = new Map();
    for (const m of sortedMessages(S.group.id)) counts.set(m.thread_id || 0, (counts.get(m.thread_id || 0) || 0) + 1);
    const items = topics.map((t) => {
      const n = counts.get(t.thread_id) || 0;
      const seen = col.topicSeen.get(t.thread_id) || 0;
      const dot = el('span', { class: 'dot' });
      dot.style.background = t.icon_color ? '#' + t.icon_color.toString(16).padStart(6, '0') : '#9aa7b3';
      return el('button', {
        type: 'button', role: 'listitem',
        class: 'topic' + (t.thread_id === col.topicID ? ' active' : '') + (t.closed ? ' closed' : ''),
        testid: 'topic-' + t.thread_id, 'data-closed': t.closed ? 'true' : 'false',
        onclick: () => selectTopic(col, t.thread_id),
      }, dot, el('span', { class: 'topic-name', text: t.name }),
      t.closed ? el('span', { class: 'badge closed', text: '🔒 closed' }) : null,
      n > seen && t.thread_id !== col.topicID ? el('span', { class: 'count', text: String(n - seen) }) : null);
    });
    if (!items.length) items.push(el('div', { class: 'muted small', text: 'No topics yet: a case opened by a returnee appears here.' }));
    col.topics.replaceChildren(...items);
    const cur = topics.find((t) => t.thread_id === col.topicID);
    col.topicTitle.textContent = cur ? '# ' + cur.name + (cur.closed ? ' (closed)' : '') : '';
    col.ginput.disabled = col.gsend.disabled = !cur;
  }

  function selectTopic(col, threadID, quiet) {
    if (col.topicID !== threadID) {
      col.topicID = threadID;
      col.gnodes = new Map();
      col.gmsgs.replaceChildren();
      col.gstick = true;
      if (quiet && S.group) markDirty(S.group.id);
    }
    if (!quiet) {
      renderTopics(col);
      renderGroup(col);
    }
  }

  function renderGroup(col) {
    if (!S.group) return;
    const msgs = sortedMessages(S.group.id).filter((m) => (m.thread_id || 0) === col.topicID);
    if (col.topicID !== null) col.topicSeen.set(col.topicID, msgs.length);
    if (col.topicID === null) {
      col.gmsgs.replaceChildren(el('div', { class: 'empty small', text: 'Choose a topic.' }));
      col.gnodes = new Map();
    } else {
      syncMessages(col.gmsgs, col.gnodes, msgs, { me: col.id, chatID: S.group.id, actor: col.id, group: true }, col.gstick);
    }
    col.gstick = false;
    renderTopics(col);
  }

  // ---- private chats ---------------------------------------------------

  function renderPrivate(col) {
    const msgs = sortedMessages(col.id);
    const before = col.nodes.size;
    syncMessages(col.msgs, col.nodes, msgs, { me: col.id, chatID: col.id, actor: col.id }, col.stick);
    col.stick = false;
    if (col.group && col.tab !== 'private' && col.nodes.size > before && before > 0) {
      col.unread += col.nodes.size - before;
      updateUnread(col);
    }
    renderReplyKeyboard(col, msgs);
  }

  // The reply keyboard in force: the last one the bot sent, unless removed
  // since, or one-time and already used.
  function currentKeyboard(msgs) {
    let kb = null, at = -1;
    msgs.forEach((m, i) => {
      if (!m.from_bot || m.deleted) return;
      if (m.reply_keyboard) { kb = m.reply_keyboard; at = i; } else if (m.remove_keyboard) { kb = null; }
    });
    if (kb && kb.one_time && msgs.slice(at + 1).some((m) => !m.from_bot)) kb = null;
    return kb;
  }

  function renderReplyKeyboard(col, msgs) {
    const kb = currentKeyboard(msgs);
    const sig = JSON.stringify(kb);
    if (sig === col.kbSig) return;
    col.kbSig = sig;
    col.kb.hidden = !kb;
    col.input.placeholder = (kb && kb.placeholder) || 'Message… (/start, /help…)';
    if (!kb) { col.kb.replaceChildren(); return; }
    col.kb.replaceChildren(...kb.rows.map((row) => el('div', { class: 'kb-row' }, ...row.map((k) => {
      if (k.contact) {
        return el('button', {
          type: 'button', class: 'key contact', testid: 'share-contact-' + col.id,
          onclick: () => { col.contactForm.hidden = false; col.contactInput.focus(); col.contactInput.select(); },
        }, '📱 ' + k.text);
      }
      if (k.location) {
        return el('button', { type: 'button', class: 'key', testid: 'key-' + k.text, onclick: () => api('media', { user_id: col.id, kind: 'location' }).catch(() => {}) }, '📍 ' + k.text);
      }
      return el('button', {
        type: 'button', class: 'key', testid: 'key-' + k.text,
        onclick: () => { col.stick = true; api('send', { user_id: col.id, text: k.text }).catch(() => {}); },
      }, k.text);
    }))));
  }

  // ---- messages --------------------------------------------------------

  function nearBottom(box) { return box.scrollHeight - box.scrollTop - box.clientHeight < 60; }
  function scrollToEnd(box) { if (box) box.scrollTop = box.scrollHeight; }

  // syncMessages updates box in place: new messages are appended, changed
  // ones (edited, deleted) replaced where they stand.
  function syncMessages(box, nodes, msgs, ctx, stick) {
    const follow = stick || nearBottom(box);
    const empty = $(':scope > .empty', box);
    if (empty) empty.remove();
    let prev = null;
    for (const m of msgs) {
      const ver = (m.edited || 0) + '|' + (m.deleted ? 1 : 0);
      const have = nodes.get(m.id);
      let node = have && have.ver === ver ? have.el : null;
      if (!node) {
        node = renderMessage(m, ctx);
        if (have) have.el.replaceWith(node);
        nodes.set(m.id, { el: node, ver });
      }
      const want = prev ? prev.nextSibling : box.firstChild;
      if (want !== node) box.insertBefore(node, want);
      prev = node;
    }
    if (!msgs.length) box.replaceChildren(el('div', { class: 'empty small', text: ctx.group ? 'No messages in this topic yet.' : 'Say hello, or send /start.' }));
    if (follow) scrollToEnd(box);
  }

  function timeOf(ms) {
    const d = new Date(ms);
    return String(d.getHours()).padStart(2, '0') + ':' + String(d.getMinutes()).padStart(2, '0');
  }

  function renderMessage(m, ctx) {
    const mine = !m.from_bot && m.from_id === ctx.me;
    const wrap = el('div', {
      class: 'row ' + (mine ? 'me' : m.from_bot ? 'bot' : 'other'),
      testid: 'msg-' + m.chat_id + '-' + m.id, 'data-kind': m.kind,
      'data-edited': m.edited ? String(m.edited) : null, 'data-deleted': m.deleted ? 'true' : null,
    });
    const bare = m.kind === 'sticker' || m.source_kind === 'sticker';
    const bubble = el('div', { class: 'bubble' + (m.deleted ? ' deleted' : '') + (bare ? ' bare' : '') });
    if (!mine && ctx.group) {
      bubble.append(el('div', { class: 'sender', text: m.from_bot ? '🤖 ' + (S.bot ? S.bot.username : 'bot') : (m.from_name || 'user ' + m.from_id) }));
    }
    if (m.reply_to) {
      const orig = S.chats.get(m.chat_id) && S.chats.get(m.chat_id).get(m.reply_to);
      bubble.append(el('div', { class: 'reply-to', text: '↩ ' + (orig ? snippet(orig) : 'message ' + m.reply_to) }));
    }
    if (m.kind === 'forward') bubble.append(el('div', { class: 'forwarded', text: 'Forwarded message' }));
    bubble.append(renderContent(m, ctx));
    const meta = el('div', { class: 'meta' });
    if (m.deleted) meta.append(el('span', { class: 'edited', text: 'deleted · ' }));
    if (m.edited) meta.append(el('span', { class: 'edited', text: '(edited) ' }));
    meta.append(timeOf(m.date));
    bubble.append(meta);
    wrap.append(bubble);
    if (m.inline && m.inline.length && !m.deleted) wrap.append(renderInline(m, ctx));
    return wrap;
  }

  function snippet(m) {
    const t = m.text || m.caption || m.file_name || m.kind;
    return t.length > 60 ? t.slice(0, 60) + '…' : t;
  }

  function renderInline(m, ctx) {
    return el('div', { class: 'inline-kb' }, ...m.inline.map((row) => el('div', { class: 'kb-row' }, ...row.map((b) => {
      if (b.url) {
        const a = el('a', { class: 'ikb link', testid: 'btn-' + b.text, target: '_blank', rel: 'noopener noreferrer' }, b.text + ' ↗');
        if (safeURL(b.url)) a.href = b.url;
        return a;
      }
      const btn = el('button', { type: 'button', class: 'ikb', testid: 'btn-' + b.text, 'data-data': b.data || '' }, b.text);
      if (b.data === undefined || b.data === '') { btn.disabled = true; return btn; }
      btn.addEventListener('click', () => {
        btn.classList.add('busy');
        setTimeout(() => btn.classList.remove('busy'), 1500);
        if (ctx.group) selectTopicSticky(ctx);
        api('press', { user_id: ctx.actor, chat_id: ctx.chatID, message_id: m.id, data: b.data }).catch(() => btn.classList.remove('busy'));
      });
      return btn;
    }))));
  }

  function selectTopicSticky(ctx) {
    const col = S.cols.get(ctx.actor);
    if (col) col.gstick = true;
  }

  function fileSize(n) {
    if (!n) return '';
    if (n < 1024) return n + ' B';
    if (n < 1024 * 1024) return (n / 1024).toFixed(1) + ' KB';
    return (n / 1024 / 1024).toFixed(1) + ' MB';
  }

  function renderContent(m, ctx) {
    const kind = (m.kind === 'copy' || m.kind === 'forward') ? (m.source_kind || 'text') : m.kind;
    const body = el('div', { class: 'content' });
    const add = (...nodes) => { for (const n of nodes) if (n) body.append(n); };
    const caption = () => m.caption ? el('div', { class: 'text caption' }, renderEntities(m.caption, m.caption_entities, ctx)) : null;
    switch (kind) {
      case 'text':
        add(el('div', { class: 'text' }, renderEntities(m.text || '', m.entities, ctx)));
        break;
      case 'photo':
        add(el('div', { class: 'photo', 'aria-label': 'photo' }, el('span', { text: '🖼' }), el('span', { class: 'small', text: 'Photo ' + fileSize(m.file_size) })), caption());
        break;
      case 'document':
        add(card('📄', m.file_name || 'document', [fileSize(m.file_size), m.mime_type].filter(Boolean).join(' · ')), caption());
        break;
      case 'voice':
        add(card('🎤', 'Voice message', '0:03 · ' + fileSize(m.file_size)), caption());
        break;
      case 'sticker':
        add(el('div', { class: 'sticker', 'aria-label': 'sticker', text: '👍' }));
        break;
      case 'location':
        add(card('📍', 'Location', Number(m.latitude).toFixed(4) + ', ' + Number(m.longitude).toFixed(4)));
        break;
      case 'contact':
        add(card('👤', m.contact_name || 'Contact', m.phone || ''));
        break;
      default:
        add(card('📦', kind, ''), caption());
    }
    return body;
  }

  function card(icon, title, sub) {
    return el('div', { class: 'card' }, el('div', { class: 'card-icon', text: icon }),
      el('div', { class: 'card-text' }, el('div', { class: 'card-title', text: title }), sub ? el('div', { class: 'card-sub', text: sub }) : null));
  }

  // ---- entities --------------------------------------------------------

  const entityRank = { pre: 0, blockquote: 1, expandable_blockquote: 1, text_link: 2, url: 2, spoiler: 3 };

  function byStart(a, b) {
    return a.offset - b.offset || b.end - a.end || (entityRank[a.type] ?? 9) - (entityRank[b.type] ?? 9);
  }

  // renderEntities turns text plus Bot API entities (UTF-16 offsets, as JS
  // strings count) into DOM nodes. Entities nest; one that crosses its
  // parent's end is split there.
  function renderEntities(text, entities, ctx) {
    const frag = document.createDocumentFragment();
    const ents = (entities || [])
      .filter((e) => e && Number.isInteger(e.offset) && Number.isInteger(e.length) && e.length > 0 && e.offset >= 0 && e.offset < text.length)
      .map((e) => Object.assign({}, e, { end: Math.min(e.offset + e.length, text.length) }))
      .sort(byStart);
    build(frag, text, 0, text.length, ents, ctx);
    return frag;
  }

  function build(parent, text, start, end, ents, ctx) {
    let pos = start;
    while (ents.length) {
      const e = ents[0];
      if (e.offset > pos) parent.append(text.slice(pos, e.offset));
      const inner = [], later = [];
      let j = 1;
      for (; j < ents.length && ents[j].offset < e.end; j++) {
        const c = ents[j];
        if (c.end <= e.end) inner.push(c);
        else { inner.push(Object.assign({}, c, { end: e.end })); later.push(Object.assign({}, c, { offset: e.end })); }
      }
      const [outer, holder] = entityElement(e, text.slice(e.offset, e.end), ctx);
      build(holder, text, e.offset, e.end, inner, ctx);
      parent.append(outer);
      pos = Math.max(pos, e.end);
      ents = later.concat(ents.slice(j)).sort(byStart);
    }
    if (pos < end) parent.append(text.slice(pos, end));
  }

  function safeURL(u) {
    try {
      const p = new URL(u);
      return ['http:', 'https:', 'mailto:', 'tel:', 'tg:'].includes(p.protocol);
    } catch (_) { return false; }
  }

  function link(href) {
    const a = el('a', { target: '_blank', rel: 'noopener noreferrer' });
    if (safeURL(href)) a.href = href;
    return a;
  }

  function entityElement(e, slice, ctx) {
    let n;
    switch (e.type) {
      case 'bold': n = el('b'); break;
      case 'italic': n = el('i'); break;
      case 'underline': n = el('u'); break;
      case 'strikethrough': n = el('s'); break;
      case 'code': n = el('code'); break;
      case 'pre': {
        const code = el('code');
        if (e.language && /^[\w+#.-]{1,32}$/.test(e.language)) code.className = 'language-' + e.language;
        return [el('pre', null, code), code];
      }
      case 'text_link': n = link(e.url || ''); n.title = e.url || ''; break;
      case 'url': n = link(/^[a-z][a-z0-9+.-]*:/i.test(slice) ? slice : 'http://' + slice); break;
      case 'email': n = link('mailto:' + slice); break;
      case 'phone_number': n = link('tel:' + slice.replace(/[^\d+]/g, '')); break;
      case 'blockquote': n = el('blockquote'); break;
      case 'expandable_blockquote': n = el('blockquote', { class: 'expandable' }); break;
      case 'spoiler':
        n = el('span', { class: 'spoiler', title: 'spoiler: click to show', role: 'button', tabindex: '0' });
        n.addEventListener('click', () => n.classList.toggle('revealed'));
        break;
      case 'bot_command':
        n = el('span', { class: 'command' });
        if (ctx && !ctx.group) {
          n.title = 'send ' + slice;
          n.addEventListener('click', () => api('send', { user_id: ctx.actor, text: slice }).catch(() => {}));
        }
        break;
      case 'mention': case 'text_mention': case 'hashtag': case 'cashtag':
        n = el('span', { class: 'mention' }); break;
      default: n = el('span', { class: 'entity-' + String(e.type).replace(/[^a-z_]/g, '') });
    }
    return [n, n];
  }

  // ---- top bar ---------------------------------------------------------

  function setConn(state, text) {
    const c = $('[data-testid="conn-status"]');
    c.dataset.state = state;
    c.textContent = text;
  }

  function wireTopbar() {
    $('[data-testid="new-returnee"]').addEventListener('click', async () => {
      const r = await api('users', { lang: 'vi' }).catch(() => null);
      if (r) showNewUser(r.user);
    });
    $('[data-testid="start-over"]').addEventListener('click', async () => {
      const r = await api('reset', {}).catch(() => null);
      if (!r) return;
      S.users = S.users.filter((u) => u.persona);
      showNewUser(r.user);
    });
    for (const b of document.querySelectorAll('[data-seconds]')) {
      b.addEventListener('click', () => api('clock', { seconds: Number(b.dataset.seconds) })
        .then(() => toast('Bot clock moved ' + b.textContent)).catch(() => {}));
    }
  }

  function showNewUser(u) {
    if (!userByID(u.id)) {
      const firstPersona = S.users.findIndex((x) => x.persona);
      if (firstPersona < 0) S.users.push(u); else S.users.splice(firstPersona, 0, u);
    }
    reconcileColumns();
    const col = S.cols.get(u.id);
    if (col) {
      col.el.scrollIntoView({ behavior: 'smooth', inline: 'nearest', block: 'nearest' });
      col.input.focus({ preventScroll: true });
    }
  }

  // ---- live updates ----------------------------------------------------

  let source = null;
  function connect() {
    if (source) source.close();
    const es = new EventSource('events');
    source = es;
    es.addEventListener('open', () => {
      setConn('live', '● live');
      refresh().catch(() => {}); // catch up on whatever the stream missed
    });
    es.addEventListener('error', () => {
      if (es.readyState === EventSource.CLOSED) {
        setConn('down', '○ disconnected, retrying…');
        setTimeout(connect, 2000);
      } else {
        setConn('connecting', '○ reconnecting…');
      }
    });
    for (const t of ['message', 'edited', 'deleted']) {
      es.addEventListener(t, (ev) => {
        const d = JSON.parse(ev.data);
        upsert(d.message);
      });
    }
    es.addEventListener('meta', (ev) => applyMeta(JSON.parse(ev.data)));
    es.addEventListener('zalo', (ev) => zalo(JSON.parse(ev.data)));
  }

  // Script errors show as a toast and are counted on <html> for the tests.
  function pageError(msg) {
    const root = document.documentElement;
    root.dataset.pageErrors = String(Number(root.dataset.pageErrors || 0) + 1);
    toast('Page error: ' + msg, true);
  }
  window.addEventListener('error', (e) => pageError(e.message));
  window.addEventListener('unhandledrejection', (e) => pageError(String(e.reason)));

  document.addEventListener('DOMContentLoaded', () => {
    wireTopbar();
    connect();
  });
})();
