// brightkitchen — the regulators' page. Plain JS, no framework, no CDN.
// Data comes from the collector's read-only API (same origin); live alerts
// arrive over Server-Sent Events and are added without reloading.
'use strict';

const CATEGORIES = {
  school_canteen: '学校食堂', kindergarten: '幼儿园', care_home: '养老机构',
  central_kitchen: '中央厨房', group_meal: '集体用餐配送', restaurant: '餐馆',
  small_eatery: '小餐饮',
};
const TYPES = {
  temperature_high: '温度过高', temperature_low: '温度过低', humidity_high: '湿度过高',
  door_open: '冷柜门未关', camera_offline: '摄像头离线', sensor_fault: '传感器故障',
  no_hat: '未戴工作帽', no_mask: '未戴口罩', no_uniform: '未穿工作服', smoking: '吸烟',
  phone: '玩手机', rodent: '鼠患', pest: '虫害', data_dropped: '数据丢弃',
};
const STATES = { new: '新告警', acknowledged: '已确认', in_progress: '处理中', closed: '已关闭' };
const SEVERITIES = { critical: '严重', warning: '警告', info: '提示' };
const PLATFORMS = { meituan: '美团', eleme: '饿了么', douyin: '抖音', jd: '京东', all: '全部平台' };
const TASK_STATES = {
  dispatched: '已派发', received: '已接收', in_progress: '检查中', submitted: '已提交', reviewed: '已审核',
  cancelled: '已取消',
};
const SVG = 'http://www.w3.org/2000/svg';

const $ = (sel) => document.querySelector(sel);
const label = (map, key) => (key in map ? `${map[key]} ${key}` : key || '—');
const short = (map, key) => map[key] || key || '—';

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === 'class') e.className = v;
    else if (v !== undefined && v !== null) e.setAttribute(k, v);
  }
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(c ?? ''));
  return e;
}

function svg(tag, attrs, text) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

// Local (Asia/Shanghai) wall time of an archive timestamp.
function when(ts) {
  if (!ts) return '—';
  const d = new Date(ts);
  if (isNaN(d)) return ts;
  return d.toLocaleString('zh-CN', { timeZone: 'Asia/Shanghai', hour12: false });
}

class Unauthorized extends Error {}

async function api(path) {
  const r = await fetch(path, { credentials: 'same-origin', cache: 'no-store' });
  if (r.status === 401) throw new Unauthorized();
  if (!r.ok) {
    let msg = `${r.status}`;
    try { msg = (await r.json()).error || msg; } catch (e) { /* not JSON */ }
    throw new Error(`${path}: ${msg}`);
  }
  return r.json();
}

// --- filters ------------------------------------------------------------
function query(extra) {
  const p = new URLSearchParams();
  const from = $('#f-from').value, to = $('#f-to').value;
  const district = $('#f-district').value.trim(), category = $('#f-category').value;
  if (from) p.set('from', from);
  if (to) p.set('to', to);
  if (district) p.set('district', district);
  if (category) p.set('category', category);
  for (const [k, v] of Object.entries(extra || {})) p.set(k, v);
  const s = p.toString();
  return s ? `?${s}` : '';
}

function initFilters() {
  const sel = $('#f-category');
  for (const [k, v] of Object.entries(CATEGORIES)) sel.append(el('option', { value: k }, `${v} ${k}`));
  // to is exclusive: tomorrow, so that today is in the period
  const day = (offset) => new Date(Date.now() + 8 * 3600e3 + offset * 86400e3).toISOString().slice(0, 10);
  $('#f-from').value = day(-29);
  $('#f-to').value = day(1);
  $('#filters').addEventListener('submit', (ev) => { ev.preventDefault(); route(); });
}

// --- alerts -------------------------------------------------------------
// An alert as the API lists it, or as the collector publishes it (SSE).
function alertItem(a, fresh) {
  const est = a.establishment && typeof a.establishment === 'object' ? a.establishment : {};
  const licence = a.licence || est.licence;
  const name = a.name || a.establishment_name || est.name || a.box || '—';
  const where = licence ? el('a', { href: `#/establishment/${encodeURIComponent(licence)}` }, name) : name;
  const li = el('li', { class: fresh ? 'alert fresh' : 'alert', 'data-event': a.event_id || '' },
    el('span', { class: `sev sev-${a.severity}` }, short(SEVERITIES, a.severity)),
    el('span', { class: 'time' }, when(a.start)),
    el('span', { class: 'type' }, label(TYPES, a.type)),
    where,
    el('span', { class: 'muted' }, [a.district, a.zone, a.message].filter(Boolean).join(' · ')),
    el('span', { class: 'state' }, short(STATES, a.state || 'new')));
  // the same alert comes again once its snapshot or clip is verified
  if (a.snapshot) li.append(el('img', { class: 'thumb', src: a.snapshot, alt: '抓拍 snapshot' }));
  if (a.clip) li.append(el('span', { class: 'muted' }, '录像 clip ✓'));
  return li;
}

let alertTotal = 0;

function showAlertCount() {
  $('#alert-count').textContent = `（${alertTotal} 条 alerts）`;
}

async function loadAlerts() {
  const doc = await api(`/api/alerts${query({ limit: 100 })}`);
  const list = $('#alerts-list');
  list.replaceChildren(...doc.alerts.map((a) => alertItem(a, false)));
  alertTotal = doc.alerts.length;
  showAlertCount();
}

function onLiveAlert(ev) {
  let a;
  try { a = JSON.parse(ev.data); } catch (e) { return; }
  const list = $('#alerts-list');
  const key = a.event_id || '';
  const known = key && list.querySelector(`li[data-event="${CSS.escape(key)}"]`);
  if (known) { // an update: its evidence has arrived
    known.replaceWith(alertItem(a, true));
    return;
  }
  list.prepend(alertItem(a, true));
  alertTotal++;
  showAlertCount();
  document.title = `(${alertTotal}) 明厨亮灶 · 监管平台`;
}

let stream = null;

function openStream() {
  if (stream) return;
  stream = new EventSource('/api/alerts/stream');
  stream.addEventListener('open', () => {
    $('#live').className = 'live on';
    // reconnected: catch up with what came while we were away
    if (currentView === 'overview') loadAlerts().catch(showError);
  });
  stream.addEventListener('error', () => { $('#live').className = 'live off'; });
  stream.addEventListener('alert', onLiveAlert);
}

// --- charts (SVG by hand) -----------------------------------------------
function emptyChart(box, text) {
  const s = svg('svg', { viewBox: '0 0 600 60' });
  s.append(svg('text', { x: 10, y: 35, class: 'empty' }, text));
  box.replaceChildren(s);
}

// Horizontal bars of the effective share per district × category, the
// installed share behind it, and the category's target as a dashed line.
function coverageChart(box, rows) {
  // the district × category cells; the "all" rows are the sums
  const data = rows.filter((r) => r.district !== 'all' && r.category !== 'all');
  if (!data.length) return emptyChart(box, '无数据 no establishments in the registry for this period');
  const rowH = 26, left = 190, right = 70, width = 760, top = 24;
  const plot = width - left - right;
  const height = top + data.length * rowH + 24;
  const s = svg('svg', { viewBox: `0 0 ${width} ${height}`, width, role: 'img', 'aria-label': '覆盖率 coverage' });
  for (const pct of [0, 25, 50, 75, 100]) {
    const x = left + plot * pct / 100;
    s.append(svg('line', { x1: x, x2: x, y1: top - 4, y2: height - 20, class: 'axis', 'stroke-opacity': 0.3 }));
    s.append(svg('text', { x: x - 8, y: height - 6 }, `${pct}%`));
  }
  s.append(svg('text', { x: left, y: 14 }, '■ 有效 effective  ▢ 已安装 installed  ┆ 目标 target'));
  data.forEach((r, i) => {
    const y = top + i * rowH;
    const n = r.establishments || 0;
    const share = (pct) => (typeof pct === 'number' ? pct / 100 : 0);
    const eff = share(r.effective_pct);
    const inst = share(r.installed_pct);
    const target = typeof r.target_pct === 'number' ? r.target_pct / 100 : null;
    const name = `${r.district || '全部'} ${short(CATEGORIES, r.category) || '全部'}`;
    s.append(svg('text', { x: 4, y: y + 16 }, name));
    s.append(svg('rect', { x: left, y: y + 4, width: Math.max(0, plot * inst), height: 16, class: 'bar installed' }));
    const below = target !== null && eff < target;
    s.append(svg('rect', { x: left, y: y + 7, width: Math.max(0, plot * eff), height: 10,
      class: below ? 'bar below' : 'bar', 'data-share': eff }));
    s.append(svg('text', { x: left + plot + 6, y: y + 16 }, `${Math.round(eff * 100)}% (${r.effective ?? '?'}/${n})`));
    if (target !== null) {
      const x = left + plot * target;
      const line = svg('line', { x1: x, x2: x, y1: y, y2: y + rowH - 2, class: 'target', 'data-target': target });
      line.append(svg('title', {}, `目标 target ${Math.round(target * 100)}%`));
      s.append(line);
    }
  });
  box.replaceChildren(s);
}

// Vertical bars: [{label, value}].
function barChart(box, items, emptyText) {
  if (!items.length) return emptyChart(box, emptyText);
  const width = 560, height = 220, left = 34, bottom = 46, top = 12;
  const plotH = height - top - bottom;
  const max = Math.max(1, ...items.map((i) => i.value));
  const step = Math.min(70, (width - left - 8) / items.length);
  const s = svg('svg', { viewBox: `0 0 ${width} ${height}`, width, role: 'img' });
  s.append(svg('line', { x1: left, x2: width - 4, y1: top + plotH, y2: top + plotH, class: 'axis' }));
  s.append(svg('text', { x: 2, y: top + 8 }, String(max)));
  items.forEach((it, i) => {
    const h = plotH * it.value / max;
    const x = left + i * step + step * 0.15;
    s.append(svg('rect', { x, y: top + plotH - h, width: step * 0.7, height: h, class: 'bar' }));
    s.append(svg('text', { x: x, y: top + plotH - h - 3 }, String(it.value)));
    s.append(svg('text', { x: x, y: height - bottom + 16,
      transform: `rotate(30 ${x} ${height - bottom + 16})` }, it.label));
  });
  box.replaceChildren(s);
}

// Alert statistics rows (one per group, named by doc.by, then "total").
function groupItems(doc, map) {
  return (doc.groups || [])
    .filter((g) => g[doc.by] !== 'total')
    .map((g) => {
      const key = g[doc.by] ?? '';
      return { label: map ? short(map, key) : String(key).slice(5), value: g.alerts ?? 0 };
    });
}

// --- delivery platforms (以网管网) ----------------------------------------
// The statistics rows: per platform, one per kind of finding and one "all"
// (合计), then the same over every platform. A platform's "all" row carries
// its listed shops and last import; a kind shows when it was ever found.
function platformStats(rows) {
  const body = $('#platform-stats tbody');
  const platforms = [...new Set(rows.map((r) => r.platform))].filter((p) => p !== 'all');
  if (!platforms.length) {
    body.replaceChildren(el('tr', {}, el('td', { colspan: 8, class: 'muted' },
      '尚未导入平台数据 no listings imported yet')));
    $('#platform-notices').replaceChildren();
    return;
  }
  // the totals only say something when there are two platforms or more
  const shown = platforms.length > 1 ? [...platforms, 'all'] : platforms;
  const num = (v) => el('td', { class: 'num' }, String(v ?? 0));
  const out = [];
  for (const p of shown) {
    const mine = rows.filter((r) => r.platform === p);
    const total = mine.find((r) => r.kind === 'all') || {};
    out.push(el('tr', { class: 'platform-total', 'data-platform': p, 'data-kind': 'all' },
      el('td', {}, label(PLATFORMS, p)), el('td', {}, '合计 all'), num(total.open),
      num(total.shops_listed), num(total.shops_with_open), num(total.on_notice), num(total.with_task),
      el('td', {}, p === 'all' ? '' : when(total.last_import))));
    for (const r of mine) {
      if (r.kind === 'all' || !(r.open || r.closed)) continue;
      out.push(el('tr', { class: r.open ? 'kind' : 'kind zero', 'data-platform': p, 'data-kind': r.kind },
        el('td', {}, ''), el('td', {}, `${r.label || ''} ${r.kind}`), num(r.open), el('td', {}, ''),
        num(r.shops_with_open), num(r.on_notice), num(r.with_task), el('td', {}, '')));
    }
  }
  body.replaceChildren(...out);
  // each platform's notice list, as the CSV sent to it (a download: the
  // page's cookie goes with a same-origin link)
  $('#platform-notices').replaceChildren(el('span', { class: 'muted' }, '通报清单 Notice lists: '),
    ...platforms.map((p) => {
      const total = rows.find((r) => r.platform === p && r.kind === 'all') || {};
      return el('a', { href: `/api/platform/notice.csv?platform=${encodeURIComponent(p)}`,
        download: `notice-${p}.csv`, 'data-platform': p },
      `${label(PLATFORMS, p)} notice-${p}.csv（${total.on_notice ?? 0}）`);
    }));
}

function findingItem(f) {
  const li = el('li', { class: 'finding', 'data-id': f.id, 'data-kind': f.kind },
    el('span', { class: 'platform' }, short(PLATFORMS, f.platform)),
    el('span', { class: 'shop' }, `${f.shop_name || ''}（${f.shop_id}）`),
    el('span', { class: 'kind' }, `${f.label || ''} ${f.kind}`),
    el('span', { class: 'muted evidence' }, f.evidence || ''),
    el('span', { class: 'time' }, when(f.opened_at)));
  if (f.notice_at) li.append(el('span', { class: 'mark notice', title: when(f.notice_at) }, '已通报 notice'));
  if (f.task_id) {
    li.append(el('span', { class: 'mark task' },
      `任务 task ${f.task_id}${f.task_state ? `（${short(TASK_STATES, f.task_state)}）` : ''}`));
  }
  return li;
}

function platformFindings(rows) {
  $('#platform-findings').replaceChildren(...(rows.length ? rows.map(findingItem)
    : [el('li', { class: 'muted' }, '无未关闭问题 no open findings')]));
  $('#finding-count').textContent = `（${rows.length} 条 findings${rows.length >= 200 ? '，最新 newest 200' : ''}）`;
}

// --- views --------------------------------------------------------------
let currentView = null;

function show(view) {
  currentView = view;
  for (const v of ['overview', 'establishments', 'establishment'])
    $(`#view-${v}`).hidden = v !== view;
}

async function overview() {
  show('overview');
  const [cov, types, days, pstats, findings, storage] = await Promise.all([
    api(`/api/coverage${query()}`),
    api(`/api/alert-stats${query({ by: 'type' })}`),
    api(`/api/alert-stats${query({ by: 'day' })}`),
    api('/api/platform/stats'),
    api('/api/platform/findings?state=open&limit=200'),
    api('/api/storage'),
    loadAlerts(),
  ]);
  coverageChart($('#coverage-chart'), cov.coverage || []);
  barChart($('#type-chart'), groupItems(types, TYPES), '无告警 no alerts');
  barChart($('#day-chart'), groupItems(days, null), '无告警 no alerts');
  platformStats(pstats);
  platformFindings(findings);
  storageTable(storage);
}

async function establishments() {
  show('establishments');
  const rows = await api(`/api/establishments${query()}`);
  $('#est-table tbody').replaceChildren(...rows.map((e) => el('tr', {},
    el('td', {}, el('a', { href: `#/establishment/${encodeURIComponent(e.licence)}` }, e.licence)),
    el('td', {}, e.name), el('td', {}, label(CATEGORIES, e.category)),
    el('td', {}, e.district), el('td', {}, e.address), el('td', {}, e.boxes ?? ''))));
}

function table(rows) {
  if (!rows.length) return el('p', { class: 'muted' }, '无数据 none');
  const cols = Object.keys(rows[0]);
  return el('table', {}, el('thead', {}, el('tr', {}, ...cols.map((c) => el('th', {}, c)))),
    el('tbody', {}, ...rows.map((r) => el('tr', {}, ...cols.map((c) => {
      const v = r[c];
      return el('td', {}, typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v ?? ''));
    })))));
}

async function establishment(licence) {
  show('establishment');
  const doc = await api(`/api/establishments/${encodeURIComponent(licence)}${query()}`);
  const e = doc.establishment;
  $('#est-name').textContent = `${e.name}（${licence}）`;
  const info = [['类别 Category', label(CATEGORIES, e.category)], ['辖区 District', e.district],
    ['地址 Address', e.address], ['营业时间 Hours', e.business_hours],
    ['每日供餐 Meals/day', e.meals_per_day], ['盒子 Boxes', (doc.boxes || []).map((b) => `${b.box}（${b.state || ''}）`).join('，')]];
  $('#est-info').replaceChildren(...info.flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, v || '—')]));
  liveTiles(doc);
  playback(doc).catch(showError);
  $('#est-coverage').replaceChildren(table(doc.coverage || []));
  $('#est-alerts').replaceChildren(...(doc.alerts || []).map((a) => alertItem(a, false)));
  const clips = doc.clips || [];
  const snaps = clips.filter((c) => c.mime === 'image/jpeg' && c.url);
  const videos = clips.filter((c) => c.mime === 'video/mp2t' && c.mp4);
  $('#est-snapshots').replaceChildren(...(snaps.length ? snaps.map((c) => el('figure', {},
    el('img', { src: c.url, alt: `抓拍 snapshot ${c.camera}`, loading: 'lazy' }),
    el('figcaption', {}, `${c.camera} · ${when(c.start)}`))) : [el('p', { class: 'muted' }, '无抓拍 none')]));
  $('#est-clips').replaceChildren(...(videos.length ? videos.map((c) => el('figure', {},
    el('video', { src: c.mp4, controls: '', preload: 'metadata' }),
    el('figcaption', {}, `${c.camera} · ${when(c.start)} – ${when(c.end)} · ${Math.round((c.bytes || 0) / 1024)} KiB`)))
    : [el('p', { class: 'muted' }, '无视频 none')]));
}

// --- live view (Media Source Extensions) -----------------------------------
// GET /api/live/{box}/{camera} answers with fragmented MP4 as it comes from
// the box (X-BK-Codec: its RFC 6381 codec), or a JSON error at once when the
// camera cannot be watched (offline, the box's limit). Every viewing is
// logged by the collector; why one ended is in /api/live/views.
const players = new Set();

function stopAllPlayers() {
  for (const p of players) p.stop('离开页面 left the page');
}

function liveTile(box, cam) {
  const online = cam.state === 'recording';
  const video = el('video', { muted: '', playsinline: '' });
  video.muted = true;
  const state = el('span', { class: 'lstate' }, online ? '在线 online' : `离线 offline（${cam.state || 'unknown'}）`);
  const button = el('button', { type: 'button' }, '观看 Watch');
  const tile = el('figure', { class: `live-tile${online ? '' : ' offline'}`, 'data-box': box, 'data-camera': cam.camera },
    video, el('figcaption', { class: 'bar' }, el('span', { class: 'cam' }, `${cam.camera}`),
      el('span', { class: 'muted' }, box), state, button));
  button.disabled = !online; // a camera the box cannot reach: no spinner
  let player = null;
  button.addEventListener('click', () => {
    if (player) { player.stop('已停止 stopped'); return; }
    player = livePlayer(box, cam.camera, video, (text, ended) => {
      state.textContent = text;
      button.textContent = ended ? '观看 Watch' : '停止 Stop';
      if (ended) player = null;
    });
  });
  return tile;
}

function livePlayer(box, camera, video, report) {
  const ctl = new AbortController();
  const p = { stopped: false };
  const queue = [];
  let sb = null;
  const url = `/api/live/${encodeURIComponent(box)}/${encodeURIComponent(camera)}`;
  p.stop = (why) => {
    if (p.stopped) return;
    p.stopped = true;
    players.delete(p);
    ctl.abort();
    report(why, true);
  };
  players.add(p);
  const feed = () => {
    if (!sb || sb.updating || !queue.length) return;
    // stay close behind the box (a stall or a slow start is caught up by a
    // seek to half a second before the newest picture), at most 30 s buffered
    const b = video.buffered;
    if (b.length) {
      const end = b.end(b.length - 1);
      if (end - video.currentTime > 3) video.currentTime = end - 0.5;
      if (video.currentTime - b.start(0) > 30) { sb.remove(b.start(0), video.currentTime - 10); return; }
    }
    sb.appendBuffer(queue.shift());
  };
  const ended = async () => {
    if (p.stopped) return;
    let why = '直播结束 ended';
    try {
      const v = await api(`/api/live/views?box=${encodeURIComponent(box)}&camera=${encodeURIComponent(camera)}&limit=1`);
      if (v.length && v[0].why) why = `直播结束 ended: ${v[0].why}`;
    } catch (e) { /* the reason is a courtesy */ }
    p.stop(why);
  };
  (async () => {
    report('连接中 connecting…', false);
    const r = await fetch(url, { credentials: 'same-origin', cache: 'no-store', signal: ctl.signal });
    if (!r.ok) {
      let msg = `${r.status}`;
      try { msg = (await r.json()).error || msg; } catch (e) { /* not JSON */ }
      p.stop(`无法观看 cannot watch: ${msg}`);
      return;
    }
    const codec = r.headers.get('X-BK-Codec') || 'avc1.42E01E';
    const ms = new MediaSource();
    video.src = URL.createObjectURL(ms);
    await new Promise((ok) => ms.addEventListener('sourceopen', ok, { once: true }));
    sb = ms.addSourceBuffer(`video/mp4; codecs="${codec}"`);
    // in order as it comes: drops (a slow page, the box's cap) leave no gap
    sb.mode = 'sequence';
    sb.addEventListener('updateend', feed);
    video.play().catch(() => { /* autoplay of a muted video is allowed */ });
    report(`直播中 live · ${codec}`, false);
    const reader = r.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      queue.push(value);
      feed();
    }
    await ended();
  })().catch((err) => {
    if (!p.stopped) p.stop(`连接中断 connection lost: ${err.message}`);
  });
  return p;
}

// --- central storage ------------------------------------------------------
const mib = (b) => `${(b / 1048576).toFixed(1)} MiB`;

function storageTable(doc) {
  const rows = doc.cameras || [];
  $('#storage-summary').textContent = `（保留 kept ${doc.retention_days} 天 days · ${mib(doc.bytes || 0)}` +
    `${doc.budget ? ` / 预算 budget ${mib(doc.budget)}` : ''}）`;
  $('#storage-table tbody').replaceChildren(...(rows.length ? rows.map((c) => el('tr', {},
    el('td', {}, c.box), el('td', {}, c.camera), el('td', { class: 'num' }, String(c.segments)),
    el('td', { class: 'num' }, mib(c.bytes)), el('td', {}, when(c.oldest)), el('td', {}, when(c.newest)),
    el('td', { class: 'num' }, c.kept_days.toFixed(1)),
    el('td', { class: 'num' }, doc.budget ? `${(c.budget_share * 100).toFixed(1)} %` : '—')))
    : [el('tr', {}, el('td', { colspan: 8, class: 'muted' }, '无摄像头上传 no camera uploads'))]));
}

// An ISO time from a datetime-local field, read as the browser's local time.
const isoOf = (v) => new Date(v).toISOString();
// datetime-local text of a time, in the browser's local time.
const localOf = (ts) => {
  const d = new Date(ts);
  return new Date(d.getTime() - d.getTimezoneOffset() * 60000).toISOString().slice(0, 19);
};

// The establishment's cameras with central storage: a range of them plays
// from the centre as one MP4 (GET /api/recordings/BOX/CAMERA?from&to).
async function playback(doc) {
  const boxes = new Set((doc.boxes || []).map((b) => b.box));
  const all = await api('/api/storage');
  const cams = (all.cameras || []).filter((c) => boxes.has(c.box));
  $('#playback').hidden = !cams.length;
  if (!cams.length) return;
  const select = $('#pb-camera');
  select.replaceChildren(...cams.map((c, i) => el('option', { value: String(i) }, `${c.box} / ${c.camera}`)));
  const pick = () => {
    const c = cams[Number(select.value)];
    $('#pb-kept').textContent = `存有 kept: ${when(c.oldest)} – ${when(c.newest)}（${c.segments} 段 segments, ${mib(c.bytes)}）`;
    const to = new Date(c.newest).getTime();
    $('#pb-from').value = localOf(new Date(Math.max(to - 60000, new Date(c.oldest).getTime())));
    $('#pb-to').value = localOf(new Date(to));
  };
  select.onchange = pick;
  pick();
  $('#playback-form').onsubmit = async (ev) => {
    ev.preventDefault();
    const c = cams[Number(select.value)];
    const url = `/api/recordings/${encodeURIComponent(c.box)}/${encodeURIComponent(c.camera)}` +
      `?from=${encodeURIComponent(isoOf($('#pb-from').value))}&to=${encodeURIComponent(isoOf($('#pb-to').value))}&partial=1`;
    const video = $('#pb-video');
    $('#pb-error').textContent = '';
    const r = await fetch(url, { method: 'HEAD', credentials: 'same-origin' });
    if (!r.ok) {
      let msg = `${r.status}`;
      try { msg = (await (await fetch(url, { credentials: 'same-origin' })).json()).error || msg; } catch (e) { /* not JSON */ }
      video.hidden = true;
      $('#pb-error').textContent = `无法回放 cannot play: ${msg}`;
      return;
    }
    video.src = url;
    video.hidden = false;
    video.play().catch(() => { /* the regulator presses play */ });
  };
}

function liveTiles(doc) {
  const tiles = [];
  for (const b of doc.boxes || [])
    for (const c of b.cameras || []) tiles.push(liveTile(b.box, c));
  $('#est-live').replaceChildren(...(tiles.length ? tiles : [el('p', { class: 'muted' }, '无摄像头 no cameras')]));
}

function showError(err) {
  if (err instanceof Unauthorized) return showLogin();
  console.error(err);
  const box = el('p', { class: 'error' }, `出错 error: ${err.message}`);
  $(`#view-${currentView || 'overview'}`).prepend(box);
  setTimeout(() => box.remove(), 10000);
}

function route() {
  const h = location.hash.replace(/^#/, '') || '/';
  stopAllPlayers();
  let p;
  if (h.startsWith('/establishment/')) p = establishment(decodeURIComponent(h.slice(15)));
  else if (h === '/establishments') p = establishments();
  else p = overview();
  return p.catch(showError);
}

// --- sign-in ------------------------------------------------------------
function showLogin() {
  $('#app').hidden = true;
  $('#login').hidden = false;
}

async function start() {
  try {
    await api('/api/boxes?limit=1');
  } catch (err) {
    if (err instanceof Unauthorized) return showLogin();
    throw err;
  }
  $('#login').hidden = true;
  $('#app').hidden = false;
  openStream();
  await route();
}

function initLogin() {
  $('#login-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const t = $('#token').value.trim();
    if (!/^[A-Za-z0-9._~+\/=-]+$/.test(t)) {
      $('#login-error').textContent = '令牌无效 not a token';
      return;
    }
    // a cookie, because <img>, <video> and EventSource cannot send a header
    document.cookie = `bk_token=${t}; path=/; Secure; SameSite=Strict`;
    $('#login-error').textContent = '';
    await start();
    if (!$('#login').hidden) $('#login-error').textContent = '令牌不正确 wrong token';
  });
}

window.addEventListener('hashchange', route);
window.addEventListener('DOMContentLoaded', () => {
  initFilters();
  initLogin();
  start().catch(showError);
});
