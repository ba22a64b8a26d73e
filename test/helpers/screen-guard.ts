// What the screen guard (test/web-guard.test.ts) checks on each screen, run inside the page: Latin words on a
// zh-CN screen, button labels that wrap inside a word, and horizontal scrolling at the phone's width.
// Kept as plain JavaScript text: a function passed through playwright is serialised with toString, and the
// test transpiler may wrap named inner functions in helpers that do not exist in the page.

/** Latin words a zh-CN screen may show: names of things people know by these letters. */
export const allowedLatin = ["Wi-Fi", "QR", "CSV", "PDF", "MB", "App"];

export interface ScreenFindings {
  latin: string[];
  wraps: string[];
  overflow: string[];
}

export const screenGuardScript = String.raw`
(allowed) => {
  const findings = { latin: [], wraps: [], overflow: [] };
  const allow = new Set(allowed);
  const visible = (el) => !!el && (typeof el.checkVisibility !== "function" || el.checkVisibility());
  // Deliberately another language (the language switch names English in English): marked as such, skipped.
  const foreign = (el) => {
    const marked = el.closest("[lang]");
    return !!marked && !marked.getAttribute("lang").toLowerCase().startsWith("zh");
  };
  const latinIn = (text, where) => {
    const tokens = text.replace(/°C/g, " ").match(/[@A-Za-z0-9][A-Za-z0-9_.\/@:+%'-]*/g) || [];
    for (const raw of tokens) {
      const token = raw.replace(/[.:,;'-]+$/, "");
      if (!/[A-Za-z]/.test(token) || allow.has(token)) continue;
      const rawId = /^[a-z]{2,4}_[A-Za-z0-9_-]+$/.test(token);
      // Serials, claim codes, links, versions and numbers with units carry digits; an id is never for people.
      if (!rawId && /[0-9]/.test(token)) continue;
      if (token.startsWith("@")) continue; // a login shown as such, on the account pages
      findings.latin.push(where + ': "' + token + '" in "' + text.trim().slice(0, 80) + '"');
    }
  };
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    if (!el || el.closest("script,style,noscript") || foreign(el)) continue;
    if (el.tagName !== "OPTION" && !visible(el)) continue;
    if (node.data.trim()) latinIn(node.data, el.tagName.toLowerCase());
  }
  for (const el of document.querySelectorAll("[placeholder],[aria-label],[title],img[alt]")) {
    if (!visible(el) || foreign(el)) continue;
    for (const name of ["placeholder", "aria-label", "title", "alt"]) {
      const value = el.getAttribute(name);
      if (value) latinIn(value, el.tagName.toLowerCase() + "[" + name + "]");
    }
  }
  latinIn(document.title, "title");

  // A label wraps inside a word when a line starts in the middle of one (Intl.Segmenter knows Chinese words).
  const segmenter = new Intl.Segmenter("zh-CN", { granularity: "word" });
  const labelled = "button, a.button, [role=button], [role=tab], summary, th, .badge, .lang";
  for (const el of document.querySelectorAll(labelled)) {
    if (!visible(el)) continue;
    const chars = [];
    const texts = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    for (let node = texts.nextNode(); node; node = texts.nextNode()) {
      for (let i = 0; i < node.data.length; i++) {
        const range = document.createRange();
        range.setStart(node, i);
        range.setEnd(node, i + 1);
        const rect = range.getClientRects()[0];
        chars.push({ ch: node.data[i], top: rect ? rect.top : null, height: rect ? rect.height : 0 });
      }
    }
    const label = chars.map((c) => c.ch).join("");
    const breaks = [];
    let lineTop = null;
    chars.forEach((c, i) => {
      if (c.top === null || !c.ch.trim()) return;
      if (lineTop !== null && c.top > lineTop + c.height / 2) breaks.push(i);
      if (lineTop === null || c.top > lineTop + c.height / 2) lineTop = c.top;
    });
    if (breaks.length === 0) continue;
    const words = [...segmenter.segment(label)];
    for (const b of breaks) {
      const word = words.find((seg) => seg.isWordLike && b > seg.index && b < seg.index + seg.segment.length);
      // A label may wrap between phrases (at a space or a mark), never inside one: "分配/村" reads as two labels.
      const between = /[\s\p{P}]/u.test(label[b - 1]) || /[\s\p{P}]/u.test(label[b]);
      if (word || !between) {
        const where = word ? 'inside "' + word.segment + '"' : 'between "' + label[b - 1] + '" and "' + label[b] + '"';
        findings.wraps.push('"' + label.trim() + '" breaks ' + where);
        break;
      }
    }
  }

  const width = document.documentElement.clientWidth;
  if (document.documentElement.scrollWidth > width + 1) {
    const wide = [...document.querySelectorAll("body *")].filter(
      (el) => visible(el) && el.getBoundingClientRect().right > width + 1,
    );
    const innermost = wide.filter((el) => !wide.some((other) => other !== el && el.contains(other))).slice(0, 3);
    findings.overflow.push(
      "page is " + document.documentElement.scrollWidth + " px wide: " +
        innermost.map((el) => el.tagName.toLowerCase() + "." + [...el.classList].join(".") + ' "' +
          (el.textContent || "").trim().slice(0, 30) + '"').join(", "),
    );
  }
  return findings;
}`;
