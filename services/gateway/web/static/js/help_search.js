// The help-center search box (support page, help home): the articles that answer, with summaries.
import { $, api, errorText, h, lang, t } from "./core.js";

async function searchHelp(event) {
  event.preventDefault();
  const q = $("#help-q").value.trim();
  const results = $("#help-results");
  if (!q) { results.replaceChildren(); return; }
  results.replaceChildren(h("p", { class: "hint" }, t("help.searching")));
  try {
    const data = await api("GET", `/api/v1/help/articles?q=${encodeURIComponent(q)}&locale=${encodeURIComponent(lang)}`);
    if (!data.items.length) {
      results.replaceChildren(h("p", { class: "hint", id: "help-no-results" }, t("help.no_results")));
      return;
    }
    results.replaceChildren(
      h("p", { class: "hint" }, t("help.results", { count: data.items.length })),
      h("ul", { class: "articles", id: "help-result-list" }, data.items.map((article) => h("li", {},
        h("a", { href: "/help/articles/" + encodeURIComponent(article.slug) }, article.title),
        article.summary ? h("p", { class: "hint" }, article.summary) : null))));
  } catch (failure) {
    results.replaceChildren(h("p", { class: "error", role: "alert" }, errorText(failure)));
  }
}

export function mountHelpSearch() {
  const form = $("#help-search");
  if (form) form.addEventListener("submit", searchHelp);
}
