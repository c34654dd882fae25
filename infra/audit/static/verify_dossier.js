// Self-verification of a LianDiao dossier (一案一档), run by the browser that opens dossier.html: no network.
// Rules (README "Dossier proofs"): each event's hash = SHA-256(prev_hash || RFC 8785 JSON of its envelope);
// leaf = SHA-256(0x00 || chain hash bytes); RFC 9162 inclusion proof to the signed tree head's root;
// Ed25519 over RFC 6962's TreeHeadSignature; key_id = SHA-256(DER SubjectPublicKeyInfo).
(async () => {
  const status = document.getElementById("verify-status");
  const show = (ok, text) => {
    status.textContent = text;
    status.className = ok ? "ok" : "bad";
    status.dataset.result = ok ? "ok" : "bad";
  };
  const enc = new TextEncoder();
  const hex = (b) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  const unhex = (h) => {
    if (typeof h !== "string" || !/^([0-9a-f]{2})*$/.test(h)) throw new Error("不是十六进制 not hex: " + h);
    const a = new Uint8Array(h.length / 2);
    for (let i = 0; i < a.length; i++) a[i] = parseInt(h.substr(2 * i, 2), 16);
    return a;
  };
  const sha = async (...parts) => {
    const buf = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let o = 0;
    for (const p of parts) { buf.set(p, o); o += p.length; }
    return new Uint8Array(await crypto.subtle.digest("SHA-256", buf));
  };
  const jcs = (v) => {  // RFC 8785: ECMAScript numbers and strings, keys in UTF-16 order (JS's default sort)
    if (v === null || typeof v !== "object") {
      if (typeof v === "number" && !Number.isFinite(v)) throw new Error("NaN/Infinity");
      return JSON.stringify(v);
    }
    if (Array.isArray(v)) return "[" + v.map(jcs).join(",") + "]";
    return "{" + Object.keys(v).sort().map((k) => JSON.stringify(k) + ":" + jcs(v[k])).join(",") + "}";
  };
  const ZERO = new Uint8Array([0]), ONE = new Uint8Array([1]);
  const SPKI_ED25519 = unhex("302a300506032b6570032100");
  const KEYS = ["case_id", "seq", "event_id", "type", "schema_version", "occurred_at", "actor", "data"];
  const same = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

  async function rootFromInclusion(index, size, leaf, path) {  // RFC 9162 §2.1.3.2
    if (!(index < size)) throw new Error("leaf_index ≥ tree_size");
    let fn = index, sn = size - 1, r = leaf;
    for (const p of path) {
      if (sn === 0) throw new Error("证明过长 proof too long");
      if (fn % 2 === 1 || fn === sn) {
        r = await sha(ONE, p, r);
        if (fn % 2 === 0) while (fn % 2 === 0 && fn !== 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
      } else {
        r = await sha(ONE, r, p);
      }
      fn = Math.floor(fn / 2); sn = Math.floor(sn / 2);
    }
    if (sn !== 0) throw new Error("证明过短 proof too short");
    return r;
  }

  try {
    const ev = JSON.parse(document.getElementById("evidence").textContent);
    const events = ev.events;
    if (!Array.isArray(events) || events.length === 0) return show(false, "✘ 未通过：没有事件 no events");
    let prev = "0".repeat(64);
    for (let i = 0; i < events.length; i++) {
      const e = events[i], seq = i + 1;
      if (e.seq !== seq) return show(false, `✘ 未通过：第 ${seq} 号事件缺失或错位 (seq ${seq})`);
      if (e.prev_hash !== prev) return show(false, `✘ 未通过：第 ${seq} 号事件的 prev_hash 与上一事件不符 (seq ${seq})`);
      const envelope = {};
      for (const k of KEYS) envelope[k] = e[k];
      if (hex(await sha(enc.encode(prev + jcs(envelope)))) !== e.hash)
        return show(false, `✘ 未通过：第 ${seq} 号事件的内容与哈希不符，已被改动 (seq ${seq})`);
      prev = e.hash;
    }
    const head = ev.tree_head;
    if (!head) return show(true, `已验证 哈希链（${events.length} 个事件）；尚无签名树头 no signed tree head yet`);
    const root = unhex(head.root_hash);
    const proofs = ev.proofs || [];
    for (const [i, p] of proofs.entries()) {
      if (p.seq !== i + 1) return show(false, `✘ 未通过：缺少第 ${i + 1} 号事件的包含证明 (seq ${i + 1})`);
      const e = events[p.seq - 1];
      if (!e) return show(false, `✘ 未通过：包含证明指向不存在的事件 (seq ${p.seq})`);
      const leaf = await sha(ZERO, unhex(e.hash));
      if (hex(leaf) !== p.leaf_hash) return show(false, `✘ 未通过：第 ${p.seq} 号事件的叶哈希不符 (seq ${p.seq})`);
      let got;
      try { got = await rootFromInclusion(p.leaf_index, head.tree_size, leaf, p.path.map(unhex)); }
      catch (err) { return show(false, `✘ 未通过：第 ${p.seq} 号事件的包含证明无效 (seq ${p.seq}): ${err.message}`); }
      if (!same(got, root)) return show(false, `✘ 未通过：第 ${p.seq} 号事件不在签名树头之中 (seq ${p.seq})`);
    }
    const pub = unhex(ev.public_key);
    if (hex(await sha(SPKI_ED25519, pub)) !== head.key_id) return show(false, "✘ 未通过：公钥与树头的 key_id 不符 key_id");
    const msg = new Uint8Array(50), view = new DataView(msg.buffer);
    msg[0] = 0; msg[1] = 1;
    view.setBigUint64(2, BigInt(head.timestamp)); view.setBigUint64(10, BigInt(head.tree_size));
    msg.set(root, 18);
    let signed = null;
    try {
      const key = await crypto.subtle.importKey("raw", pub, { name: "Ed25519" }, false, ["verify"]);
      signed = await crypto.subtle.verify({ name: "Ed25519" }, key, unhex(head.signature), msg);
    } catch (err) { signed = null; }
    if (signed === false) return show(false, "✘ 未通过：树头签名无效 the tree head's signature does not verify");
    const later = events.length - proofs.length;
    show(true, `已验证 ${proofs.length} 个事件的哈希链、包含证明与签名树头（树大小 ${head.tree_size}）` +
      (later ? `；其后 ${later} 个事件尚未封存` : "") +
      (signed === null ? "；本浏览器不支持 Ed25519，签名请用 verify_dossier.py 校验" : ""));
  } catch (err) {
    show(false, "✘ 未通过：" + err.message);
  }
})();
