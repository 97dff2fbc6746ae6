/*
 * Passerelle chat widget.
 *
 * Embed with one tag:
 *   <script src="https://ville.example/passerelle.js" data-server="wss://ville.example/ws"
 *           data-lang="fr" data-position="bottom-right" defer></script>
 *
 * data-server   WebSocket URL; defaults to ws(s)://<host of this script>/ws
 * data-lang     language selected at first visit (fr, de, pl, pt, ar); defaults to the page's lang, else fr
 * data-position bottom-right (default), bottom-left, or the direction-relative bottom-end / bottom-start
 *
 * The widget lives in a Shadow DOM so that the host page's CSS cannot reach it, and it loads
 * passerelle.css from beside this script. Every string a person sees comes from the server's welcome
 * frame (labels per language), so the widget needs no translation files of its own. Server text is only
 * ever inserted with textContent / createTextNode: answers may contain anything.
 */
(function () {
  'use strict';

  // A classic deferred script still has document.currentScript while it runs; the query is a fallback
  // for loaders that inject the script in ways that clear it.
  const script = document.currentScript || document.querySelector('script[src*="passerelle.js"]');
  if (!script || window.__passerelleLoaded) return;
  window.__passerelleLoaded = true;

  const STORAGE_VERSION = 1;
  const MAX_STORED_MESSAGES = 200;
  const BACKOFF_BASE_MS = 500;
  const BACKOFF_CAP_MS = 10000;
  const SVG_NS = 'http://www.w3.org/2000/svg';
  // Shown only before the first welcome frame has told us the labels: language-neutral symbols.
  const NEUTRAL = { open_chat: '\uD83D\uDCAC', close_chat: '\u2715', send: '\u27A4', online: '\u25CF', offline: '\u25CB' };

  const config = readConfig(script);
  const storageKey = 'passerelle:' + config.server;

  // All that the widget remembers; persisted to sessionStorage so a reload in the same tab
  // shows the same conversation in the same language.
  const state = {
    lang: config.lang,
    open: false,
    seq: 0, // last client message id number; ids must stay unique across reloads of the tab
    languages: [], // from the last welcome frame: [{code, name, dir, welcome, labels}]
    messages: [] // {from:'user'|'bot', text, lang, id, status, kind, suggestions, suggestionsLang}
  };

  let ui = null; // DOM references, built once
  let socket = null;
  let online = false;
  let attempt = 0; // consecutive failed connection attempts, drives the backoff
  let reconnectTimer = 0;

  restore();
  build();
  renderAll();
  connect();

  /* ---------------------------------------------------------------- configuration */

  function readConfig(el) {
    const src = new URL(el.getAttribute('src') || '', document.baseURI);
    let server = el.getAttribute('data-server');
    if (!server) {
      // Same host as the script: the server serves both the widget files and /ws.
      server = (src.protocol === 'https:' ? 'wss:' : 'ws:') + '//' + src.host + '/ws';
    }
    const pageLang = (document.documentElement.getAttribute('lang') || '').slice(0, 2).toLowerCase();
    let position = el.getAttribute('data-position') || 'bottom-right';
    if (!/^bottom-(right|left|start|end)$/.test(position)) position = 'bottom-right';
    return {
      server: server,
      css: new URL('passerelle.css', src).href,
      lang: (el.getAttribute('data-lang') || pageLang || 'fr').toLowerCase(),
      position: position
    };
  }

  /* ---------------------------------------------------------------- persistence */

  function restore() {
    let saved = null;
    try {
      saved = JSON.parse(window.sessionStorage.getItem(storageKey) || 'null');
    } catch (e) {
      saved = null; // storage disabled (privacy mode, sandboxed frame) or corrupt: start afresh
    }
    if (!saved || saved.v !== STORAGE_VERSION) return;
    if (typeof saved.lang === 'string') state.lang = saved.lang;
    state.open = !!saved.open;
    state.seq = saved.seq | 0;
    if (Array.isArray(saved.languages)) {
      state.languages = saved.languages.filter(function (l) { return l && typeof l.code === 'string'; });
    }
    if (Array.isArray(saved.messages)) {
      state.messages = saved.messages.filter(function (m) {
        return m && (m.from === 'user' || m.from === 'bot') && typeof m.text === 'string';
      });
    }
    // The page that sent these never got their answers: the new connection will send them again.
    state.messages.forEach(function (m) {
      if (m.from === 'user' && m.status === 'sent') m.status = 'queued';
    });
  }

  function save() {
    const data = {
      v: STORAGE_VERSION,
      lang: state.lang,
      open: state.open,
      seq: state.seq,
      languages: state.languages,
      messages: state.messages.slice(-MAX_STORED_MESSAGES)
    };
    try {
      window.sessionStorage.setItem(storageKey, JSON.stringify(data));
    } catch (e) {
      // Quota or disabled storage: the conversation simply won't survive a reload.
    }
  }

  /* ---------------------------------------------------------------- languages and labels */

  function languageInfo(code) {
    for (let i = 0; i < state.languages.length; i++) {
      if (state.languages[i].code === code) return state.languages[i];
    }
    return null;
  }

  function label(key) {
    const info = languageInfo(state.lang) || state.languages[0];
    const value = info && info.labels && info.labels[key];
    return typeof value === 'string' ? value : '';
  }

  function dirOf(code) {
    const info = languageInfo(code);
    return info && info.dir === 'rtl' ? 'rtl' : 'ltr';
  }

  // Switches the whole widget (labels, lang, direction) to another language.
  function setLanguage(code) {
    if (!languageInfo(code) || code === state.lang) return;
    state.lang = code;
    refreshGreeting();
    renderAll();
    save();
  }

  // A conversation that is still only the greeting reads better in the newly chosen language.
  // Its suggestions came localized for the welcome's language, so they only stay when it matches.
  function refreshGreeting() {
    if (state.messages.length !== 1 || state.messages[0].kind !== 'welcome') return;
    const greeting = state.messages[0];
    const info = languageInfo(state.lang);
    if (info && typeof info.welcome === 'string' && info.welcome) {
      greeting.text = info.welcome;
      greeting.lang = state.lang;
    }
  }

  /* ---------------------------------------------------------------- DOM construction */

  function el(tag, className, attrs) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (attrs) {
      Object.keys(attrs).forEach(function (name) {
        node.setAttribute(name, attrs[name]);
      });
    }
    return node;
  }

  function icon(pathData) {
    const svg = document.createElementNS(SVG_NS, 'svg');
    svg.setAttribute('viewBox', '0 0 24 24');
    svg.setAttribute('aria-hidden', 'true');
    svg.setAttribute('focusable', 'false');
    svg.setAttribute('class', 'pw-icon');
    const path = document.createElementNS(SVG_NS, 'path');
    path.setAttribute('d', pathData);
    svg.appendChild(path);
    return svg;
  }

  function build() {
    const host = document.createElement('passerelle-chat');
    const shadow = host.attachShadow({ mode: 'open' });

    const sheet = el('link', '', { rel: 'stylesheet', href: config.css });
    const root = el('div', 'pw-root', { 'data-position': config.position });
    // Hidden until the stylesheet is in, so the page never flashes an unstyled widget.
    root.hidden = true;
    function reveal() {
      root.hidden = false;
      scrollToEnd(); // a restored conversation was laid out while hidden, with nothing to scroll
    }
    sheet.addEventListener('load', reveal);
    sheet.addEventListener('error', reveal);

    const launcher = el('button', 'pw-launcher', { type: 'button', 'aria-expanded': 'false', 'aria-controls': 'pw-panel' });
    launcher.appendChild(icon('M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z'));
    const launcherText = el('span', 'pw-sr-only');
    launcher.appendChild(launcherText);
    const badge = el('span', 'pw-badge', { 'aria-hidden': 'true' });
    badge.hidden = true;
    launcher.appendChild(badge);

    const panel = el('section', 'pw-panel', { id: 'pw-panel', role: 'dialog', 'aria-labelledby': 'pw-title' });
    panel.hidden = true;

    // A div, not <header>: inside the widget a header would read as a second banner of the page.
    const header = el('div', 'pw-header');
    const titleBox = el('div', 'pw-title-box');
    const title = el('h2', 'pw-title', { id: 'pw-title' });
    const status = el('p', 'pw-status', { role: 'status' });
    titleBox.appendChild(title);
    titleBox.appendChild(status);

    const langBox = el('div', 'pw-lang-box');
    const langLabel = el('label', 'pw-lang-label', { for: 'pw-lang' });
    const langSelect = el('select', 'pw-lang', { id: 'pw-lang' });
    langBox.appendChild(langLabel);
    langBox.appendChild(langSelect);

    const closeBtn = el('button', 'pw-close', { type: 'button' });
    closeBtn.appendChild(icon('M6.4 5 12 10.6 17.6 5 19 6.4 13.4 12 19 17.6 17.6 19 12 13.4 6.4 19 5 17.6 10.6 12 5 6.4z'));
    const closeText = el('span', 'pw-sr-only');
    closeBtn.appendChild(closeText);

    // DOM order is the visual order (title and close on the first row, language below),
    // so Tab follows what the eye sees.
    header.appendChild(titleBox);
    header.appendChild(closeBtn);
    header.appendChild(langBox);

    // Focusable so keyboard users can scroll back through a long conversation.
    const log = el('div', 'pw-log', { tabindex: '0', role: 'region', 'aria-labelledby': 'pw-title' });
    const list = el('ol', 'pw-messages');
    const typing = el('div', 'pw-typing');
    typing.hidden = true;
    const dots = el('span', 'pw-dots', { 'aria-hidden': 'true' });
    dots.appendChild(el('span'));
    dots.appendChild(el('span'));
    dots.appendChild(el('span'));
    const typingText = el('span', 'pw-sr-only');
    typing.appendChild(dots);
    typing.appendChild(typingText);
    log.appendChild(list);
    log.appendChild(typing);

    const form = el('form', 'pw-form');
    const inputLabel = el('label', 'pw-sr-only', { for: 'pw-input' });
    const input = el('input', 'pw-input', { id: 'pw-input', type: 'text', autocomplete: 'off', enterkeyhint: 'send', dir: 'auto' });
    const send = el('button', 'pw-send', { type: 'submit' });
    form.appendChild(inputLabel);
    form.appendChild(input);
    form.appendChild(send);

    panel.appendChild(header);
    panel.appendChild(log);
    panel.appendChild(form);

    // Outside the panel, so new answers are announced even while the panel is closed.
    const live = el('div', 'pw-sr-only', { 'aria-live': 'polite', 'aria-atomic': 'true' });

    root.appendChild(panel);
    root.appendChild(launcher);
    root.appendChild(live);
    shadow.appendChild(sheet);
    shadow.appendChild(root);

    ui = {
      host: host, root: root, launcher: launcher, launcherText: launcherText, badge: badge, panel: panel,
      title: title, status: status, langLabel: langLabel, langSelect: langSelect, closeBtn: closeBtn,
      closeText: closeText, log: log, list: list, typing: typing, typingText: typingText, form: form,
      inputLabel: inputLabel, input: input, send: send, live: live
    };

    launcher.addEventListener('click', openPanel);
    closeBtn.addEventListener('click', closePanel);
    panel.addEventListener('keydown', onPanelKeydown);
    langSelect.addEventListener('change', function () { setLanguage(langSelect.value); });
    form.addEventListener('submit', onSubmit);
    window.addEventListener('online', reconnectNow);

    (document.body || document.documentElement).appendChild(host);
  }

  /* ---------------------------------------------------------------- rendering */

  // Applies language, direction, labels and connection state; rebuilds the message list.
  // The conversation is small, so a full rebuild keeps the code simple and always consistent.
  function renderAll() {
    const dir = dirOf(state.lang);
    [ui.host, ui.root].forEach(function (node) {
      node.setAttribute('lang', state.lang);
      node.setAttribute('dir', dir);
    });
    renderLabels();
    renderLanguageOptions();
    renderConnection();
    renderMessages();
    renderPanel();
  }

  function renderLabels() {
    const known = state.languages.length > 0;
    ui.launcherText.textContent = (known && label('open_chat')) || NEUTRAL.open_chat;
    ui.closeText.textContent = (known && label('close_chat')) || NEUTRAL.close_chat;
    ui.closeBtn.title = label('close_chat');
    ui.launcher.title = label('open_chat');
    ui.title.textContent = label('title');
    ui.langLabel.textContent = label('language_label');
    ui.inputLabel.textContent = label('input_label');
    ui.input.placeholder = label('placeholder');
    ui.send.textContent = (known && label('send')) || NEUTRAL.send;
    ui.typingText.textContent = label('typing');
  }

  function renderLanguageOptions() {
    const select = ui.langSelect;
    while (select.firstChild) select.removeChild(select.firstChild);
    state.languages.forEach(function (info) {
      const option = el('option', '', { value: info.code, lang: info.code, dir: info.dir === 'rtl' ? 'rtl' : 'ltr' });
      option.textContent = info.name || info.code;
      select.appendChild(option);
    });
    select.value = state.lang;
    select.parentNode.hidden = state.languages.length === 0;
  }

  function renderConnection() {
    ui.root.setAttribute('data-conn', online ? 'online' : 'offline');
    const known = state.languages.length > 0;
    ui.status.textContent = known ? label(online ? 'online' : 'offline') : (online ? NEUTRAL.online : NEUTRAL.offline);
  }

  function renderPanel() {
    ui.panel.hidden = !state.open;
    ui.launcher.hidden = state.open;
    ui.launcher.setAttribute('aria-expanded', state.open ? 'true' : 'false');
    ui.root.setAttribute('data-open', state.open ? 'true' : 'false');
  }

  function renderMessages() {
    const list = ui.list;
    while (list.firstChild) list.removeChild(list.firstChild);
    let lastBot = -1;
    state.messages.forEach(function (m, i) { if (m.from === 'bot') lastBot = i; });
    state.messages.forEach(function (m, i) {
      // Only the newest answer offers suggestions: older ones would answer questions already moved past.
      list.appendChild(renderMessage(m, i === lastBot));
    });
    ui.typing.hidden = !state.messages.some(function (m) { return m.status === 'sent'; });
    scrollToEnd();
  }

  function renderMessage(m, withSuggestions) {
    const item = el('li', 'pw-msg pw-msg--' + m.from + (m.kind === 'error' ? ' pw-msg--error' : ''));
    const bubble = el('div', 'pw-bubble');
    const who = el('span', 'pw-sr-only');
    who.textContent = (m.from === 'user' ? label('you') : label('bot')) + ': ';
    bubble.appendChild(who);
    // The text is a block of its own (see .pw-text) carrying the message's language and direction,
    // so a French answer stays left-aligned inside the Arabic widget, and the reverse, while the
    // bubble itself keeps the widget's direction for its placement and shape.
    const body = el('span', 'pw-text');
    if (m.from === 'bot') {
      if (m.lang) {
        body.setAttribute('lang', m.lang);
        body.setAttribute('dir', dirOf(m.lang));
      }
      appendLinkified(body, m.text);
    } else {
      // A person may type in any script whatever the selected language: let the browser pick direction.
      body.setAttribute('dir', 'auto');
      body.textContent = m.text;
    }
    bubble.appendChild(body);
    item.appendChild(bubble);

    if (m.from === 'user' && m.status === 'queued') {
      item.classList.add('pw-msg--unsent');
      const note = el('p', 'pw-unsent');
      note.textContent = label('unsent');
      item.appendChild(note);
    }
    // A greeting swapped to another language (refreshGreeting) would sit above buttons in the old one.
    const stale = m.kind === 'welcome' && m.suggestionsLang && m.suggestionsLang !== state.lang;
    if (m.from === 'bot' && withSuggestions && m.suggestions && m.suggestions.length && !stale) {
      item.appendChild(renderSuggestions(m.suggestions, m.suggestionsLang || m.lang));
    }
    return item;
  }

  function renderSuggestions(suggestions, lang) {
    const group = el('div', 'pw-suggestions', { role: 'group' });
    group.setAttribute('aria-label', label('suggestions_label'));
    if (lang) {
      // The buttons read in the answer's language, which may not be the widget's any more.
      group.setAttribute('lang', lang);
      group.setAttribute('dir', dirOf(lang));
    }
    suggestions.forEach(function (s) {
      if (!s || typeof s.intent !== 'string') return;
      const button = el('button', 'pw-suggestion', { type: 'button' });
      button.textContent = typeof s.label === 'string' && s.label ? s.label : s.intent;
      button.addEventListener('click', function () {
        ask({ intent: s.intent, text: button.textContent });
        // The button is about to be replaced by the answer's own suggestions: keep focus somewhere useful.
        ui.input.focus();
      });
      group.appendChild(button);
    });
    return group;
  }

  // Turns http(s) URLs in server text into real links, everything else into text nodes.
  function appendLinkified(parent, text) {
    const pattern = /https?:\/\/[^\s<>"'«»]+/gi;
    let last = 0;
    let match;
    while ((match = pattern.exec(text)) !== null) {
      // Sentence punctuation right after a URL belongs to the sentence, not to the URL.
      const url = match[0].replace(/[.,;:!?'")\]}]+$/, '');
      const start = match.index;
      const href = safeHttpUrl(url);
      if (!href) continue;
      if (start > last) parent.appendChild(document.createTextNode(text.slice(last, start)));
      const a = el('a', 'pw-link', { href: href, target: '_blank', rel: 'noopener noreferrer' });
      a.textContent = url;
      parent.appendChild(a);
      last = start + url.length;
      pattern.lastIndex = last;
    }
    if (last < text.length) parent.appendChild(document.createTextNode(text.slice(last)));
  }

  function safeHttpUrl(candidate) {
    try {
      const u = new URL(candidate);
      return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : '';
    } catch (e) {
      return '';
    }
  }

  function scrollToEnd() {
    ui.log.scrollTop = ui.log.scrollHeight;
  }

  function announce(text) {
    // Emptying first makes screen readers announce a message even when it repeats the previous one.
    ui.live.textContent = '';
    window.setTimeout(function () {
      ui.live.textContent = label('new_message') + ': ' + text;
    }, 50);
  }

  /* ---------------------------------------------------------------- panel and keyboard */

  function openPanel() {
    state.open = true;
    ui.badge.hidden = true;
    renderPanel();
    scrollToEnd();
    ui.input.focus();
    save();
  }

  function closePanel() {
    state.open = false;
    renderPanel();
    ui.launcher.focus();
    save();
  }

  function onPanelKeydown(event) {
    if (event.key === 'Escape') {
      event.preventDefault();
      closePanel();
      return;
    }
    if (event.key === 'Tab' && isFullScreen()) trapFocus(event);
  }

  // When the panel covers the whole screen, the page behind it is invisible: keep Tab inside the panel.
  function isFullScreen() {
    const rect = ui.panel.getBoundingClientRect();
    return rect.width >= window.innerWidth - 1 && rect.height >= window.innerHeight - 1;
  }

  function trapFocus(event) {
    const focusable = Array.prototype.filter.call(
      ui.panel.querySelectorAll('button, select, input, [tabindex="0"], a[href]'),
      function (node) { return !node.disabled && node.getClientRects().length > 0; }
    );
    if (!focusable.length) return;
    const first = focusable[0];
    const lastNode = focusable[focusable.length - 1];
    const active = ui.root.getRootNode().activeElement;
    if (event.shiftKey && active === first) {
      event.preventDefault();
      lastNode.focus();
    } else if (!event.shiftKey && active === lastNode) {
      event.preventDefault();
      first.focus();
    }
  }

  function onSubmit(event) {
    event.preventDefault();
    const text = ui.input.value.trim();
    if (!text) return;
    ui.input.value = '';
    ask({ text: text });
  }

  /* ---------------------------------------------------------------- conversation */

  function ask(question) {
    state.seq += 1;
    const message = {
      from: 'user',
      text: question.text,
      lang: state.lang,
      id: 'c' + state.seq,
      status: 'queued'
    };
    if (question.intent) message.intent = question.intent;
    state.messages.push(message);
    transmit(message);
    renderMessages();
    save();
  }

  // Puts one queued message on the wire if the socket is open; otherwise it stays queued.
  function transmit(message) {
    if (!socket || socket.readyState !== 1) return false;
    const frame = { type: 'ask', lang: message.lang, id: message.id };
    if (message.intent) frame.intent = message.intent;
    else frame.text = message.text;
    try {
      socket.send(JSON.stringify(frame));
    } catch (e) {
      return false;
    }
    message.status = 'sent';
    return true;
  }

  function flushQueue() {
    let changed = false;
    state.messages.forEach(function (m) {
      if (m.from === 'user' && m.status === 'queued') {
        // The language chosen now is the better hint: the person may have switched while offline.
        m.lang = state.lang;
        changed = transmit(m) || changed;
      }
    });
    if (changed) {
      renderMessages();
      save();
    }
  }

  // Marks the question an answer or error belongs to as done; without a known id, the oldest pending one.
  function settle(id) {
    const pending = state.messages.filter(function (m) { return m.from === 'user' && m.status === 'sent'; });
    let target = null;
    for (let i = 0; i < pending.length; i++) {
      if (pending[i].id === id) target = pending[i];
    }
    if (!target && pending.length) target = pending[0];
    if (target) target.status = 'done';
  }

  function addBotMessage(message, quiet) {
    state.messages.push(message);
    if (state.messages.length > MAX_STORED_MESSAGES) state.messages.splice(0, state.messages.length - MAX_STORED_MESSAGES);
    if (quiet) return;
    if (!state.open) ui.badge.hidden = false;
    announce(message.text);
  }

  function cleanSuggestions(list) {
    if (!Array.isArray(list)) return [];
    return list.filter(function (s) { return s && typeof s.intent === 'string'; }).map(function (s) {
      return { intent: s.intent, label: typeof s.label === 'string' ? s.label : s.intent };
    });
  }

  function onWelcome(frame) {
    if (Array.isArray(frame.languages) && frame.languages.length) {
      state.languages = frame.languages.filter(function (l) { return l && typeof l.code === 'string'; });
    }
    if (!languageInfo(state.lang)) {
      state.lang = languageInfo(frame.lang) ? frame.lang : (state.languages[0] ? state.languages[0].code : state.lang);
    }
    const untouched = state.messages.every(function (m) { return m.kind === 'welcome'; });
    if (untouched && typeof frame.text === 'string') {
      // First visit, or nothing said yet: (re)place the greeting with the server's current one,
      // announcing it only the first time (a reconnection is not news).
      const greeted = state.messages.length > 0;
      state.messages = [];
      addBotMessage({
        from: 'bot',
        kind: 'welcome',
        text: frame.text,
        lang: typeof frame.lang === 'string' ? frame.lang : state.lang,
        suggestions: cleanSuggestions(frame.suggestions),
        suggestionsLang: typeof frame.lang === 'string' ? frame.lang : state.lang
      }, greeted);
      refreshGreeting();
    }
    renderAll();
    save();
  }

  function onAnswer(frame) {
    settle(frame.id);
    // The server answers in the language the question was written in: follow it.
    if (typeof frame.lang === 'string' && frame.lang !== state.lang && languageInfo(frame.lang)) {
      state.lang = frame.lang;
    }
    addBotMessage({
      from: 'bot',
      kind: 'answer',
      text: typeof frame.text === 'string' ? frame.text : '',
      lang: typeof frame.lang === 'string' ? frame.lang : state.lang,
      intent: typeof frame.intent === 'string' ? frame.intent : null,
      suggestions: cleanSuggestions(frame.suggestions),
      suggestionsLang: typeof frame.lang === 'string' ? frame.lang : state.lang
    });
    renderAll();
    save();
  }

  function onError(frame) {
    settle(frame.id);
    addBotMessage({
      from: 'bot',
      kind: 'error',
      text: typeof frame.message === 'string' ? frame.message : String(frame.code || ''),
      lang: typeof frame.lang === 'string' ? frame.lang : state.lang
    });
    renderMessages();
    save();
  }

  function onFrame(event) {
    let frame;
    try {
      frame = JSON.parse(event.data);
    } catch (e) {
      return; // not ours to display
    }
    if (!frame || typeof frame !== 'object') return;
    if (frame.type === 'welcome') onWelcome(frame);
    else if (frame.type === 'answer') onAnswer(frame);
    else if (frame.type === 'error') onError(frame);
    // Unknown frame types are ignored so that the server can grow the protocol.
  }

  /* ---------------------------------------------------------------- connection */

  function socketUrl() {
    const u = new URL(config.server, window.location.href);
    u.searchParams.set('lang', state.lang);
    return u.href;
  }

  function connect() {
    window.clearTimeout(reconnectTimer);
    reconnectTimer = 0;
    let ws;
    try {
      ws = new WebSocket(socketUrl());
    } catch (e) {
      scheduleReconnect();
      return;
    }
    socket = ws;
    ws.addEventListener('open', function () {
      if (socket !== ws) return;
      attempt = 0;
      online = true;
      renderConnection();
      flushQueue();
    });
    ws.addEventListener('message', function (event) {
      if (socket === ws) onFrame(event);
    });
    ws.addEventListener('close', function () {
      if (socket !== ws) return;
      socket = null;
      online = false;
      // Answers to questions in flight died with the connection: send them again once back.
      state.messages.forEach(function (m) {
        if (m.from === 'user' && m.status === 'sent') m.status = 'queued';
      });
      renderConnection();
      renderMessages();
      save();
      scheduleReconnect();
    });
    // 'error' is always followed by 'close', which does the work.
  }

  // Exponential backoff capped at ~10 s, with jitter so that a restarted server is not hit by every
  // client in the same instant.
  function scheduleReconnect() {
    if (reconnectTimer) return;
    const ceiling = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * Math.pow(2, attempt));
    const delay = ceiling / 2 + Math.random() * ceiling / 2;
    attempt += 1;
    reconnectTimer = window.setTimeout(connect, delay);
  }

  // The browser says the network is back: no reason to wait for the backoff timer.
  function reconnectNow() {
    if (socket) return;
    attempt = 0;
    connect();
  }
})();
